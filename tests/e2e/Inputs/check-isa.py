#!/usr/bin/python3
"""Fails when machine code uses instructions or registers beyond an x86-64 level.

    check-isa.py LEVEL FILE.so...       disassembles each file with objdump
    check-isa.py LEVEL --listing FILE   reads objdump -d text instead

LEVEL is x86-64-v2, x86-64-v3 or x86-64-v4, as `nnc compile --target-cpu`
takes them. Code for a level may use what that level's CPUs all have and
nothing else: v2 is SSE up to 4.2 (no VEX, no BMI), v3 adds AVX, AVX2, FMA,
F16C, BMI1/2, LZCNT and MOVBE (no EVEX, no zmm, no mask registers), v4 adds
AVX-512 F, CD, BW, DQ and VL (not VNNI, BF16, FP16, IFMA, VBMI and the
rest). Each offending instruction is printed with its file and address;
the exit status is 1 if there is any, 0 otherwise. Standard library only.
"""
import re
import subprocess
import sys

LEVELS = ("x86-64-v2", "x86-64-v3", "x86-64-v4")

# Instructions no level includes: crypto and the AVX-512 extensions that came
# after Skylake-X, and their VEX re-encodings (AVX-VNNI).
BEYOND_V4 = [
    (r"^v?pdpbus?ds?$|^v?pdpwss?ds?$", "VNNI"),
    (r"^vdpbf16ps$|^vcvtne2?ps2bf16$", "AVX512-BF16"),
    (r"^v(?!cvtps2ph$)[a-z0-9]+ph$|^v[a-z0-9]+sh$|^vcvtph2psx$", "AVX512-FP16"),
    (r"^vpmadd52", "AVX512-IFMA"),
    (r"^vperm[ti]?2?b$|^vpmultishiftqb$", "AVX512-VBMI"),
    (r"^vp(compress|expand)[bw]$|^vpsh[lr]dv?[wdq]$", "AVX512-VBMI2"),
    (r"^vpopcnt[bwdq]$|^vpshufbitqmb$", "AVX512-BITALG/VPOPCNTDQ"),
    (r"^v?gf2p8", "GFNI"),
    (r"^v?aes", "AES"),
    (r"^v?pclmul", "PCLMUL"),
    (r"^sha(1|256)", "SHA"),
    (r"^vp2intersect", "AVX512-VP2INTERSECT"),
    (r"^(tile|tdp)", "AMX"),
    (r"^v(exp2|rcp28|rsqrt28)|^v(gather|scatter)pf", "AVX512-ER/PF"),
]

# Mnemonics that only EVEX encodes, whatever the registers (v4 has them).
EVEX_ONLY = re.compile(
    r"^(vpternlog[dq]|vperm[ti]2|vp?(compress|expand)|"
    r"vpmov(u?s)?(qb|qw|qd|db|dw|wb)$|vpmov[bwdq]2m$|vpmovm2|"
    r"vrndscale|vscalef|vgetexp|vgetmant|vfixupimm|vrange|vreduce|vfpclass|"
    r"vcvt[a-z0-9]*2u|vcvtu|vcvtt?p[sd]2qq|vcvtqq2|vpabsq|vp(max|min)[su]q|"
    r"vpsra[v]?q|vpro[lr]|vpconflict|vplzcnt|vdbpsadbw|vp?blendm|"
    r"vpbroadcastm|vextract[fi](32x4|32x8|64x2|64x4)|"
    r"vinsert[fi](32x4|32x8|64x2|64x4)|vshuf[fi](32x4|64x2)|valign[dq]|"
    r"vrcp14|vrsqrt14|vmovdq[au](8|16|32|64)|vp(and|andn|or|xor)[dq]$|"
    r"vpmullq|vpermw|vps[lr]lvw|vpsravw|vptestn?m|k[a-z]+[bwdq]$)"
)
# Beyond SSE4.2 without VEX: the BMI1/2, LZCNT, MOVBE and ADX instructions.
# (tzcnt is left out: compilers emit `rep bsf`, which objdump prints as
# tzcnt and which pre-BMI CPUs run as bsf.)
V3_SCALAR = re.compile(
    r"^(andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx|"
    r"lzcnt|movbe|adcx|adox)$"
)
PREFIXES = {"lock", "rep", "repz", "repnz", "repe", "repne", "notrack", "bnd",
            "data16", "addr32", "cs", "ds"}
LINE = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")


def instructions(listing):
    """(address, mnemonic, operands) of each instruction in objdump -d text."""
    for line in listing.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        words = match.group(2).split()
        while words and (words[0] in PREFIXES or words[0].startswith("{")):
            words = words[1:]
        if words:
            yield match.group(1), words[0], " ".join(words[1:])


def violation(level, mnemonic, operands):
    """Why the instruction is beyond `level`, or None when it is within."""
    for pattern, extension in BEYOND_V4:
        if re.search(pattern, mnemonic):
            return extension
    if level == "x86-64-v4":
        return None
    if "%zmm" in operands:
        return "zmm register (AVX-512)"
    if re.search(r"%k[0-7]\b", operands):
        return "mask register (AVX-512)"
    if re.search(r"%[xy]mm(1[6-9]|2[0-9]|3[01])\b", operands):
        return "xmm/ymm 16-31 (AVX-512VL)"
    if "{" in operands:
        return "EVEX masking, broadcast or rounding (AVX-512)"
    if EVEX_ONLY.match(mnemonic):
        return "EVEX-only instruction (AVX-512)"
    if level == "x86-64-v3":
        return None
    if mnemonic.startswith("v"):
        return "VEX instruction (AVX)"
    if "%ymm" in operands:
        return "ymm register (AVX)"
    if V3_SCALAR.match(mnemonic):
        return "BMI/LZCNT/MOVBE/ADX"
    return None


def disassemble(path):
    proc = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"check-isa: objdump failed on {path}: {proc.stderr.strip()}")
    return proc.stdout


def main(argv):
    if len(argv) < 3 or argv[1] not in LEVELS:
        sys.exit(f"usage: check-isa.py {{{','.join(LEVELS)}}} FILE.so... | --listing FILE")
    level = argv[1]
    if argv[2] == "--listing":
        with open(argv[3]) as listing:
            sources = [(argv[3], listing.read())]
    else:
        sources = [(path, disassemble(path)) for path in argv[2:]]
    checked = 0
    bad = 0
    for path, listing in sources:
        for address, mnemonic, operands in instructions(listing):
            checked += 1
            why = violation(level, mnemonic, operands)
            if why:
                bad += 1
                print(f"{path}:{address}: {mnemonic} {operands}: {why}, beyond {level}")
    if checked == 0:
        sys.exit("check-isa: no instructions found")
    print(f"check-isa: {checked} instructions, {bad} beyond {level}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
