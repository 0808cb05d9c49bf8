#!/usr/bin/env python3
# isa-check.py: compiles every program ampcl may build (ampcl-isa-sources lists them) with Intel's
# ocloc, and for AMD and NVIDIA with clang-15 + libclc + llc-15, then reports each kernel's registers,
# spills and occupancy (Markdown and CSV); NVIDIA's PTX also goes through ptxas when the CUDA
# toolkit is installed (real registers, spills). --gate fails on a spill in a GPU profile row's
# GEMM/conv on its target, or a vendor row's tiles below half occupancy there; --tiles sweeps
# GEMM tilings for choosing those rows (docs/performance.md "GPU tiles from the compilers' reports").
"""Usage: isa-check.py --sources-tool BIN --work DIR --report DIR [--jobs N] [--gate]

Every compile or link error fails the run with the compiler's log, the file and its options.
No OpenCL runtime or device is used: ocloc compiles for Intel GPUs without one, and the AMD and
NVIDIA code comes from LLVM's own back ends (what ROCm's and NVIDIA's drivers run differs; see
docs/devices.md). ptxas, where found, assigns NVIDIA's real registers to LLVM's PTX (NVIDIA's
OpenCL driver compiles with its own front end, so its counts may differ)."""
import argparse
import concurrent.futures
import csv
import glob
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import time

INTEL = ["skl", "tgllp", "dg2", "pvc"]
AMD = ["gfx906", "gfx1030", "gfx1100"]
NVIDIA = ["sm_70", "sm_80", "sm_90"]
LIBCLC = {"amd": "/usr/lib/clc/amdgcn--amdhsa.bc", "nvidia": "/usr/lib/clc/nvptx64--nvidiacl.bc"}
# the GPU profile rows (host/runtime/profile.c) and the targets their GEMM and convolution
# programs must not spill on; a vendor's row must also reach half occupancy on its target(s)
GATE_ROWS = {"gpu": {"gfx1030", "tgllp"}, "gpu-amd-rdna2": {"gfx1030"},
             "gpu-intel-xe": {"tgllp"}, "gpu-nvidia-ampere": {"sm_80"}}
OCCUPANCY_ROWS = {"gpu-amd-rdna2", "gpu-intel-xe", "gpu-nvidia-ampere"}
GATE_FILES = {"gemm", "conv"}
# the kernels whose work-group size the options fix (reqd_work_group_size): NVIDIA's occupancy
# needs it (the PTX does not carry it)
FIXED_GROUP = {"gemm_forward", "conv_implicit_forward", "conv_implicit_dw"}
# waves per SIMD at most (LLVM 15's AMDGPU getMaxWavesPerEU)
AMD_MAX_WAVES = {"gfx906": 10, "gfx1030": 16, "gfx1100": 16}
# per SM: warps, blocks, 32-bit registers, shared memory bytes (CUDA's occupancy calculator)
NV_SM = {"sm_70": (64, 32, 65536, 98304), "sm_80": (64, 32, 65536, 167936),
         "sm_90": (64, 32, 65536, 233472)}
PTXAS = shutil.which("ptxas") or shutil.which("ptxas", path="/usr/local/cuda/bin")
PTXAS_TARGETS = {"sm_80"}
# kernels of those files that no GPU-profile device launches: conv.c takes col2im_rows_backward
# only where the profile sets conv_rows (the cpu row); it sums in a private array by design
CPU_ONLY_KERNELS = {"col2im_rows_backward"}


class CompileError(Exception):
    pass


def run(cmd, log):
    """Runs cmd, appending its command line and output to log; raises CompileError on failure."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n" + p.stdout)
    if p.returncode != 0:
        raise CompileError("$ %s\n%s(exit %d)" % (" ".join(shlex.quote(c) for c in cmd),
                                                  p.stdout, p.returncode))
    return p.stdout


# --- Intel: ocloc, its zebin's .ze_info (per kernel: SIMD width, GRF, scratch, private, SLM) ---

def elf_section(path, wanted):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = headers[shstrndx][4]
    for name, _type, _flags, _addr, off, size in headers:
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end].decode() == wanted:
            return data[off:off + size].decode()
    return None


def parse_ze_info(text):
    """The kernels of a .ze_info (YAML, read line by line: ocloc writes one fixed layout)."""
    kernels, k, section = {}, None, None
    in_kernels = False
    for line in text.splitlines():
        if re.match(r"^\S", line):
            in_kernels = line.startswith("kernels:")
            continue
        if not in_kernels:
            continue
        m = re.match(r"^  - name:\s+(\S+)", line)
        if m:
            k = kernels.setdefault(m.group(1), {"simd": 0, "grf": 0, "slm": 0, "buffers": []})
            section = None
            continue
        m = re.match(r"^    (\w+):", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^\s+(- )?(\w+):\s+(\S+)", line)
        if k is None or not m:
            continue
        key, val = m.group(2), m.group(3)
        if section == "execution_env" and key in ("simd_size", "grf_count", "slm_size"):
            k[{"simd_size": "simd", "grf_count": "grf", "slm_size": "slm"}[key]] = int(val)
        elif section == "per_thread_memory_buffers":
            if m.group(1):
                k["buffers"].append({})
            k["buffers"][-1][key] = val
    for k in kernels.values():
        # a buffer of type scratch holds spills unless its usage says private memory; a
        # global one is private memory
        k["scratch"] = sum(int(b.get("size", 0)) for b in k["buffers"]
                           if b.get("type") == "scratch" and b.get("usage") != "private_space")
        k["private"] = sum(int(b.get("size", 0)) for b in k["buffers"]) - k["scratch"]
    return kernels


def compile_intel(prog, src, work, targets):
    out = []
    for dev in targets:
        d = os.path.join(work, "intel-" + dev)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        # the zebin container (-cl-intel-allow-zebin) for every device: its .ze_info names
        # each kernel's spill space; the code is the same IGC compiles for the runtime
        run(["ocloc", "compile", "-q", "-file", src, "-device", dev, "-options", prog["options"],
             "-internal_options", "-cl-intel-allow-zebin", "-out_dir", d, "-output", "p"],
            os.path.join(work, "intel.log"))
        bins = glob.glob(os.path.join(d, "*.bin"))
        info = elf_section(bins[0], ".ze_info") if bins else None
        if info is None:
            raise CompileError("ocloc for %s wrote no zebin with a .ze_info in %s" % (dev, d))
        for name, k in sorted(parse_ze_info(info).items()):
            out.append(dict(vendor="intel", target=dev, kernel=name, simd=k["simd"],
                            grf=k["grf"], scratch=k["scratch"], private=k["private"],
                            lds=k["slm"]))
    return out


# --- AMD and NVIDIA: clang-15 to LLVM IR, libclc linked in, opt -O3, llc-15 per GPU ---

def to_ir(prog, src, work, vendor):
    triple = "amdgcn--amdhsa" if vendor == "amd" else "nvptx64--nvidiacl"
    log = os.path.join(work, vendor + ".log")
    bc, linked, opt = (os.path.join(work, vendor + s) for s in (".bc", ".linked.bc", ".opt.bc"))
    run(["clang-15", "-x", "cl", "-target", triple, "-nogpulib", "-Xclang",
         "-finclude-default-header", "-O2", "-emit-llvm", "-c"] + shlex.split(prog["options"]) +
        [src, "-o", bc], log)
    # libclc's built-ins (get_global_id, fma, vload, ...) in, then inlined and optimised as a
    # driver does after linking its built-in library
    run(["llvm-link-15", "--only-needed", bc, LIBCLC[vendor], "-o", linked], log)
    run(["opt-15", "-O3", linked, "-o", opt], log)
    return opt, log


def parse_amdgcn(asm):
    """Per kernel: VGPRs, SGPRs, spills, scratch, LDS from the metadata; occupancy (waves per
    SIMD) from llc's comment on each function."""
    occupancy, fn = {}, None
    for line in asm.splitlines():
        m = re.search(r"; -- Begin function (\S+)", line)
        if m:
            fn = m.group(1)
        m = re.match(r"\s*; Occupancy: (\d+)", line)
        if m and fn:
            occupancy[fn] = int(m.group(1))
    meta = asm[asm.find(".amdgpu_metadata"):asm.find(".end_amdgpu_metadata")]
    kernels, k, in_kernels = {}, None, False
    for line in meta.splitlines():
        if re.match(r"^\S", line):
            in_kernels = line.startswith("amdhsa.kernels:")
        if not in_kernels:
            continue
        if line.startswith("  - "):
            k = {}
            kernels[len(kernels)] = k
        m = re.match(r"^    \.(\w+):\s+(\S+)", line)
        if m and k is not None:
            k[m.group(1)] = m.group(2)
    out = []
    for k in kernels.values():
        name = k["name"]
        out.append(dict(kernel=name, vgprs=int(k["vgpr_count"]), sgprs=int(k["sgpr_count"]),
                        spill_vgprs=int(k["vgpr_spill_count"]),
                        spill_sgprs=int(k["sgpr_spill_count"]),
                        scratch=int(k["private_segment_fixed_size"]),
                        lds=int(k["group_segment_fixed_size"]),
                        occupancy=occupancy.get(name, 0)))
    return out


def parse_ptx(ptx):
    """Per .entry: the virtual registers the PTX declares (ptxas, in the driver, assigns the
    real ones), local memory (the stack: private arrays, spills LLVM made) and shared memory."""
    out, k = [], None
    for line in ptx.splitlines():
        m = re.match(r"^\.(?:visible |weak )?\.(entry|func)\s+(?:\(.*?\)\s*)?(\w+)", line)
        if m:
            k = None
            if m.group(1) == "entry":
                k = dict(kernel=m.group(2), r32=0, r64=0, pred=0, local=0, lds=0, calls=0)
                out.append(k)
            continue
        if k is None:
            continue
        m = re.match(r"^\s*\.reg \.(\w+)\s+%\w+<(\d+)>;", line)
        if m:
            t, n = m.group(1), int(m.group(2))
            if t == "pred":
                k["pred"] += n
            elif t.endswith("64"):
                k["r64"] += n
            else:
                k["r32"] += n
        m = re.match(r"^\s*\.local .*\[(\d+)\];", line)
        if m:
            k["local"] += int(m.group(1))
        m = re.match(r"^\s*\.shared .*\[(\d+)\];", line)
        if m:
            k["lds"] += int(m.group(1))
        if re.match(r"^\s*call", line):
            k["calls"] += 1
    return out


def parse_ptxas(text):
    """Per entry: registers, spill stores and loads, stack frame and shared memory as
    `ptxas -v` reports them."""
    out, k = {}, None
    for line in text.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            k = out.setdefault(m.group(1), dict(regs=0, spill_st=0, spill_ld=0, stack=0,
                                                smem=0))
            continue
        if k is None:
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill "
                      r"loads", line)
        if m:
            k["stack"], k["spill_st"], k["spill_ld"] = (int(g) for g in m.groups())
        m = re.search(r"Used (\d+) registers", line)
        if m:
            k["regs"] = int(m.group(1))
        m = re.search(r"(\d+) bytes smem", line)
        if m:
            k["smem"] = int(m.group(1))
    return out


def group_size(options):
    """Work-items per group of cl/gemm.cl's tiled kernels under these options."""
    d = {"TM": 64, "TN": 64, "WM": 4, "WN": 4}
    for key, val in re.findall(r"-DGEMM_(TM|TN|WM|WN)=(\d+)", options):
        d[key] = int(val)
    return (d["TM"] // d["WM"]) * (d["TN"] // d["WN"])


def nv_occupancy(sm, regs, smem, wg):
    """Resident warps per SM over the most, in percent, for wg threads a block."""
    warps_max, blocks_max, regfile, smem_max = NV_SM[sm]
    warps = (wg + 31) // 32
    per_warp = (regs * 32 + 255) // 256 * 256
    blocks = min(blocks_max, warps_max // warps,
                 regfile // per_warp // warps if per_warp else blocks_max,
                 smem_max // (smem + 1024) if smem else blocks_max)
    return 100 * blocks * warps // warps_max


def compile_llvm(prog, src, work, vendor, targets):
    ir, log = to_ir(prog, src, work, vendor)
    out = []
    for cpu in targets:
        asm = os.path.join(work, "%s-%s.s" % (vendor, cpu))
        triple = "amdgcn--amdhsa" if vendor == "amd" else "nvptx64-nvidia-cuda"
        run(["llc-15", "-O3", "-mtriple=" + triple, "-mcpu=" + cpu, ir, "-o", asm], log)
        text = open(asm).read()
        real = {}
        # ptxas 13 no longer takes sm_70, and LLVM 15 writes sm_90 code as PTX 3.2, which
        # ptxas refuses: those rows keep LLVM's virtual registers
        if vendor == "nvidia" and PTXAS and cpu in PTXAS_TARGETS:
            real = parse_ptxas(run([PTXAS, "-arch=" + cpu, "-v", asm, "-o", asm + ".cubin"],
                                   log))
        for k in parse_amdgcn(text) if vendor == "amd" else parse_ptx(text):
            k.update(vendor=vendor, target=cpu)
            if k["kernel"] in real:
                k.update(real[k["kernel"]])
            out.append(k)
    return out


def compile_one(prog, src, work, vendor, targets):
    os.makedirs(work, exist_ok=True)
    try:
        if vendor == "intel":
            rows = compile_intel(prog, src, work, targets)
        else:
            rows = compile_llvm(prog, src, work, vendor, targets)
        return rows, None
    except CompileError as e:
        return [], "%s: cl/%s.cl with options '%s' failed:\n%s" % (vendor, prog["file"],
                                                                  prog["options"], e)


def dedupe(programs, src_dir):
    """Programs whose preprocessed text is the same (options that spell out a default) compile
    once, under the first one's options, with the others' names and profile rows merged in."""
    seen, out = {}, []
    for p in programs:
        src = os.path.join(src_dir, p["file"] + ".cl")
        pre = subprocess.run(["clang-15", "-E", "-P", "-x", "cl"] + shlex.split(p["options"]) +
                             [src], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        key = (p["file"], pre.stdout if pre.returncode == 0 else p["options"])
        if key not in seen:
            seen[key] = p
            out.append(p)
            continue
        q = seen[key]
        q["names"] += ";" + p["names"] + " (" + short(p["options"]) + ")"
        for col in ("rows", "reach", "chosen"):
            q[col] = ",".join(sorted(set(filter(None, (q[col] + "," + p[col]).split(",")))))
    return out


# --- the report ---

COLUMNS = ["vendor", "target", "file", "options", "kernel", "profiles", "vgprs", "sgprs",
           "spill_vgprs", "spill_sgprs", "scratch", "private", "lds", "occupancy", "simd", "grf",
           "r32", "r64", "pred", "local", "calls", "regs", "spill_st", "spill_ld", "stack",
           "smem", "occupancy_pct"]


def spills(r):
    """Bytes (or registers) a kernel spilled, as its compiler reports them."""
    if r["vendor"] == "amd":
        return r["scratch"] + r["spill_vgprs"] + r["spill_sgprs"]
    if r["vendor"] == "intel":
        return r["scratch"] + r["private"]
    return r["local"] + r.get("spill_st", 0) + r.get("spill_ld", 0) + r.get("stack", 0)


def occupancy_pct(r):
    """Occupancy in percent of the target's most (AMD: waves per SIMD; NVIDIA: warps per SM,
    from ptxas's registers); Intel: the SIMD width IGC chose over the widest, 32 (SIMD16 is half;
    SIMD8, its fallback under register pressure, a quarter). None where not known."""
    if r["vendor"] == "amd":
        return 100 * r["occupancy"] // AMD_MAX_WAVES[r["target"]]
    if r["vendor"] == "intel":
        return 100 * r["simd"] // 32
    if "regs" in r and r["file"] == "gemm" and r["kernel"] in FIXED_GROUP:
        return nv_occupancy(r["target"], r["regs"], r["smem"], group_size(r["options"]))
    return None


def cell(r):
    if r is None:
        return "-"
    if r["vendor"] == "amd":
        s = "%dv %ds occ %d" % (r["vgprs"], r["sgprs"], r["occupancy"])
        if r["spill_vgprs"] or r["spill_sgprs"]:
            s += " **%dv %ds spilled**" % (r["spill_vgprs"], r["spill_sgprs"])
        if r["scratch"]:
            s += " **scratch %d B**" % r["scratch"]
    elif r["vendor"] == "intel":
        s = "SIMD%d GRF %d" % (r["simd"], r["grf"])
        if r["scratch"]:
            s += " **spill %d B**" % r["scratch"]
        if r["private"]:
            s += " **private %d B**" % r["private"]
    elif "regs" in r:
        s = "%d regs" % r["regs"]
        if r.get("occupancy_pct") is not None:
            s += " occ %d%%" % r["occupancy_pct"]
        if r["spill_st"] or r["spill_ld"]:
            s += " **spill %d+%d B**" % (r["spill_st"], r["spill_ld"])
        if r["stack"]:
            s += " **stack %d B**" % r["stack"]
    else:
        s = "%d+%dx64" % (r["r32"], r["r64"])
        if r["local"]:
            s += " **local %d B**" % r["local"]
    return s


def short(options):
    return options.replace("-cl-std=CL1.2", "").strip() or "(defaults)"


def write_report(rows, programs, outdir, versions):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "isa.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in COLUMNS})
    targets = [t for t in AMD + INTEL + NVIDIA if any(r["target"] == t for r in rows)]
    by = {}
    for r in rows:
        by[(r["file"], r["options"], r["kernel"], r["target"])] = r
    lines = ["# Kernels through AMD's, Intel's and NVIDIA's offline compilers", "",
             "Written by `tools/isa/isa-check.py` (ctest `isa`). " + versions, "",
             "AMD (llc-15, libclc): `Nv Ms occ W` is N VGPRs, M SGPRs, W waves per SIMD; "
             "scratch holds spilled registers (counted apart) and private arrays. Intel (ocloc): the SIMD width IGC chose, the "
             "GRF size and any spill or private memory per thread. NVIDIA (llc-15 PTX): with "
             "ptxas (" + ("found" if PTXAS else "not found") + "), on sm_80, `N regs occ P%` is "
             "the registers ptxas assigns and the warps per SM resident for the tiled kernels' "
             "group size, with any spill or stack; without it, and on sm_70 (which ptxas 13 "
             "dropped) and sm_90 (LLVM 15 writes its PTX as version 3.2, which ptxas refuses), "
             "the 32-bit + 64-bit virtual registers the PTX declares and any local memory.",
             "",
             "## The GPU profile rows' GEMM and convolution programs", "",
             "Rows: " + ", ".join(sorted(GATE_ROWS)) + " (and `sweep`: the tilings "
             "`--tiles` asked for).", ""]

    def table(progs):
        out = ["| file | options | kernel | " + " | ".join(targets) + " |",
               "|---|---|---|" + "---|" * len(targets)]
        for p in progs:
            names = sorted({r["kernel"] for r in rows
                            if r["file"] == p["file"] and r["options"] == p["options"]})
            for k in names:
                out.append("| %s | %s | %s | %s |" % (
                    p["file"], short(p["options"]).replace("|", "\\|"), k,
                    " | ".join(cell(by.get((p["file"], p["options"], k, t))) for t in targets)))
        return out

    gpu = [p for p in programs if p["file"] in GATE_FILES and
           set(p["rows"].split(",")) & (set(GATE_ROWS) | {"sweep"})]
    lines += table(gpu)
    lines += ["", "## Every program", "",
              "Each kernel file with its defaults, then every `-D` variant the device profiles "
              "and the tuner can choose (`rows`: the profile rows that try it first; `may build`: "
              "those that may build it). Options that only spell out a file's defaults give the "
              "same program, compiled once (its other names in brackets).", ""]
    lines += ["| file | options | rows | may build | names |", "|---|---|---|---|---|"]
    for p in programs:
        lines.append("| %s | %s | %s | %s | %s |" % (
            p["file"], short(p["options"]), p["rows"] or "-", p["reach"] or "-",
            p["names"].replace(";", ", ")))
    lines += [""]
    lines += table(programs)
    with open(os.path.join(outdir, "isa.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def versions():
    def first(cmd):
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            return p.stdout.strip().splitlines()[0] if p.stdout.strip() else "?"
        except OSError:
            return "?"
    return "ocloc %s; %s; libclc %s." % (
        first(["dpkg-query", "-W", "-f=${Version}", "intel-opencl-icd"]),
        first(["clang-15", "--version"]),
        first(["dpkg-query", "-W", "-f=${Version}", "libclc-15"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources-tool", required=True, help="the ampcl-isa-sources program")
    ap.add_argument("--work", required=True, help="a folder for sources and binaries")
    ap.add_argument("--report", required=True, help="where isa.md and isa.csv go")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--gate", action="store_true",
                    help="fail on a spill in a GPU profile row's GEMM/conv on its targets (GATE_ROWS), "
                         "or a vendor row's tiled kernels below half occupancy there")
    ap.add_argument("--only", default="", help="only files whose name matches this regex")
    ap.add_argument("--names", default="", help="only programs one of whose names matches")
    ap.add_argument("--pretend-gpu", default="",
                    help="treat programs whose names match as the GPU profile's (to see the "
                         "gate fail on a tiling that spills)")
    ap.add_argument("--pretend-row", default="gpu",
                    help="the profile row --pretend-gpu makes those programs the choice of "
                         "(e.g. gpu-intel-xe, to see the occupancy gate fail)")
    ap.add_argument("--full", action="store_true",
                    help="every program on every target (else CPU-only ones on a few)")
    ap.add_argument("--cpu-only-targets", default="tgllp,gfx1030,sm_80",
                    help="the targets of programs no GPU-profile device builds")
    ap.add_argument("--tiles", default="",
                    help="also compile cl/gemm.cl at these tilings, TMxTNxTKxWMxWN[,...] "
                         "(scalar, GEMM_VW 1), named 'sweep ...' (with --names ^sweep: "
                         "only them)")
    ap.add_argument("--targets", default="",
                    help="only these targets, comma-separated (e.g. gfx1030,tgllp,sm_80)")
    args = ap.parse_args()

    t0 = time.time()
    src_dir = os.path.join(args.work, "src")
    shutil.rmtree(args.work, ignore_errors=True)
    subprocess.run([args.sources_tool, src_dir], check=True)
    with open(os.path.join(src_dir, "variants.tsv")) as f:
        programs = list(csv.DictReader(f, delimiter="\t"))
    full = programs[0]["options"].split(" -D")[0].strip() if programs else "-cl-std=CL1.2"
    for spec in filter(None, args.tiles.split(",")):
        tm, tn, tk, wm, wn = (int(x) for x in spec.split("x"))
        programs.append(dict(file="gemm", options="%s -DGEMM_TM=%d -DGEMM_TN=%d -DGEMM_TK=%d "
                             "-DGEMM_WM=%d -DGEMM_WN=%d -DGEMM_VW=1" % (full, tm, tn, tk, wm, wn),
                             rows="sweep", reach="sweep", names="sweep " + spec,
                             chosen="sweep"))
    programs = [p for p in programs if re.search(args.only, p["file"]) and
                any(re.search(args.names, n) for n in p["names"].split(";"))]
    for p in programs:
        if args.pretend_gpu and any(re.search(args.pretend_gpu, n)
                                    for n in p["names"].split(";")):
            p["rows"] = p["reach"] = p["chosen"] = args.pretend_row
    gpu_rows = set(GATE_ROWS) | {"sweep"}

    programs = dedupe(programs, src_dir)

    # a program no GPU-profile device builds (the CPU tilings, the packed GEMM) goes to one
    # target per vendor unless --full: it is checked to compile, and the run stays short
    one = set(args.cpu_only_targets.split(","))
    jobs = []
    for i, p in enumerate(programs):
        gpu = args.full or set(p["reach"].split(",")) & gpu_rows
        only = set(filter(None, args.targets.split(",")))
        for vendor, targets in (("intel", INTEL), ("amd", AMD), ("nvidia", NVIDIA)):
            work = os.path.join(args.work, "p%03d-%s" % (i, p["file"]))
            chosen = [t for t in targets if (gpu or t in one) and (not only or t in only)]
            if chosen:
                jobs.append((p, os.path.join(src_dir, p["file"] + ".cl"), work, vendor,
                             chosen))
    rows, errors = [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futures = {ex.submit(compile_one, *j): j for j in jobs}
        for fut in concurrent.futures.as_completed(futures):
            p = futures[fut][0]
            got, err = fut.result()
            if err:
                errors.append(err)
            for r in got:
                r.update(file=p["file"], options=p["options"], profiles=p["rows"],
                         chosen=p["chosen"])
                r["occupancy_pct"] = occupancy_pct(r)
                rows.append(r)
    order = {(p["file"], p["options"]): i for i, p in enumerate(programs)}
    vorder = {t: i for i, t in enumerate(AMD + INTEL + NVIDIA)}
    rows.sort(key=lambda r: (order[(r["file"], r["options"])], r["kernel"], vorder[r["target"]]))
    write_report(rows, programs, args.report, versions())

    failed = False
    for e in errors:
        print("isa-check: COMPILE ERROR " + e, file=sys.stderr)
        failed = True
    if args.gate:
        listed = {row for p in programs for row in p["rows"].split(",")}
        only = set(filter(None, args.targets.split(",")))
        # a gate that found no GEMM there would pass whatever the compilers said
        for row in sorted(set(GATE_ROWS) & listed):
            for t in sorted(GATE_ROWS[row]):
                if not any(r["target"] == t and r["kernel"] == "gemm_forward" and
                           row in r["profiles"].split(",") for r in rows) and \
                        not errors and (not only or t in only):
                    print("isa-check: no %s gemm_forward was read for %s" % (row, t),
                          file=sys.stderr)
                    failed = True
        for r in rows:
            mine = [row for row in r["profiles"].split(",")
                    if r["target"] in GATE_ROWS.get(row, ())]
            if not mine or r["file"] not in GATE_FILES or r["kernel"] in CPU_ONLY_KERNELS:
                continue
            if spills(r):
                print("isa-check: SPILL %s cl/%s.cl %s (%s; rows %s): %s" % (
                    r["target"], r["file"], r["kernel"], short(r["options"]), ",".join(mine),
                    cell(r)), file=sys.stderr)
                failed = True
            # the occupancy of the tiling a vendor row chose (the file's defaults, which every
            # row builds to warm up, are not its tiling unless it chose them too)
            if set(mine) & OCCUPANCY_ROWS & set(r["chosen"].split(",")) and \
                    r["file"] == "gemm" and r["kernel"] in FIXED_GROUP:
                if r["occupancy_pct"] is None:
                    print("isa-check: occupancy of %s %s not checked (no ptxas)" % (
                        r["target"], r["kernel"]), file=sys.stderr)
                elif r["occupancy_pct"] < 50:
                    print("isa-check: OCCUPANCY %s cl/%s.cl %s (%s; rows %s): %d%% < 50%%: %s"
                          % (r["target"], r["file"], r["kernel"], short(r["options"]),
                             ",".join(mine), r["occupancy_pct"], cell(r)), file=sys.stderr)
                    failed = True
    print("isa-check: %d programs, %d kernel builds on %d targets, %d errors, %.0f s; report in %s"
          % (len(programs), len(rows), len({r["target"] for r in rows}), len(errors), time.time() - t0,
             args.report))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
