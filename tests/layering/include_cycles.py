#!/usr/bin/env python3
# include_cycles.py: fails when the #include "..." graph of the C sources under the given folders
# has a loop between modules, and prints each loop with the include lines that make it.
#
# A module is a .c file and the .h of the same name in the same folder (conv.c + conv.h); a .c or
# .h without a partner is a module alone. Module A depends on module B when a file of A includes
# B's header. Layering (tests/layering/upward.c) keeps folders in order; this keeps files inside
# a folder in order: no two modules may depend on each other, directly or through others, so each
# can be read knowing only those below it. A header shared by several files (a shape, a table)
# goes below all of them instead.
#
# An include resolves as the compiler's quote form does here: next to the including file first,
# then by name among the scanned headers (each layer exports its folder as an include path, so a
# name is unique; a name found twice is an error). Names found nowhere (system and generated
# headers) are not modules. Exit status: 0 no loop, 1 loops (listed), 2 bad use or ambiguous names.
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def sources(root, folders):
	found = []
	for folder in folders:
		top = os.path.join(root, folder)
		for dirpath, dirnames, filenames in os.walk(top):
			dirnames.sort()
			for name in sorted(filenames):
				if name.endswith(('.c', '.h')):
					found.append(os.path.relpath(os.path.join(dirpath, name), root))
	return found


def module(path):
	return path[:-2]


def main(argv):
	if len(argv) < 3:
		print('usage: include_cycles.py ROOT FOLDER...', file=sys.stderr)
		return 2
	root, folders = argv[1], argv[2:]
	files = sources(root, folders)
	headers = {}
	for f in files:
		if f.endswith('.h'):
			headers.setdefault(os.path.basename(f), []).append(f)
	known = set(files)

	def resolve(src, name):
		beside = os.path.normpath(os.path.join(os.path.dirname(src), name))
		if beside in known:
			return beside
		matches = headers.get(os.path.basename(name), [])
		if len(matches) > 1:
			raise LookupError('%s includes "%s", found as %s' % (src, name, ' and '.join(matches)))
		return matches[0] if matches else None

	edges = {}  # module -> {module it depends on: "file:line" of the first include making it}
	for f in files:
		with open(os.path.join(root, f), errors='replace') as text:
			for number, line in enumerate(text, 1):
				m = INCLUDE.match(line)
				if not m:
					continue
				try:
					target = resolve(f, m.group(1))
				except LookupError as e:
					print('error: %s' % e)
					return 2
				if target and module(target) != module(f):
					edges.setdefault(module(f), {}).setdefault(module(target), '%s:%d' % (f, number))

	# strongly connected components (Tarjan, iterative), then one shortest loop through each
	index, low, stack, on_stack, components = {}, {}, [], set(), []
	counter = 0
	for start in sorted(edges):
		if start in index:
			continue
		work = [(start, iter(sorted(edges.get(start, {}))))]
		index[start] = low[start] = counter
		counter += 1
		stack.append(start)
		on_stack.add(start)
		while work:
			node, children = work[-1]
			child = next(children, None)
			if child is not None:
				if child not in index:
					index[child] = low[child] = counter
					counter += 1
					stack.append(child)
					on_stack.add(child)
					work.append((child, iter(sorted(edges.get(child, {})))))
				elif child in on_stack:
					low[node] = min(low[node], index[child])
				continue
			work.pop()
			if work:
				low[work[-1][0]] = min(low[work[-1][0]], low[node])
			if low[node] == index[node]:
				component = []
				while True:
					top = stack.pop()
					on_stack.discard(top)
					component.append(top)
					if top == node:
						break
				if len(component) > 1:
					components.append(sorted(component))

	for component in components:
		inside = set(component)
		first = component[0]
		# breadth-first from first back to itself, inside the component
		parent, queue, loop = {}, [first], None
		while queue and loop is None:
			node = queue.pop(0)
			for child in sorted(edges.get(node, {})):
				if child not in inside:
					continue
				if child == first:
					loop = [node]
					while loop[-1] != first:
						loop.append(parent[loop[-1]])
					loop.reverse()
					break
				if child not in parent:
					parent[child] = node
					queue.append(child)
		loop.append(first)
		print('include cycle: %s' % ' -> '.join(loop))
		for a, b in zip(loop, loop[1:]):
			print('  %s includes %s.h' % (edges[a][b], b))
		if len(component) > len(loop) - 1:
			print('  (the loop is part of: %s)' % ', '.join(component))
	if components:
		return 1
	print('no include cycle among the modules of %s' % ', '.join(folders))
	return 0


if __name__ == '__main__':
	sys.exit(main(sys.argv))
