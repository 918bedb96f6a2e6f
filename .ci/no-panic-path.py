#!/usr/bin/env python3
"""Fails if any function of the driver can reach a panic in its release image.

In the kernel a panic is a bug check (wdk-panic's handler calls KeBugCheckEx), so no path of the
driver may lead to `core::panicking`. The clippy restriction lints deny the usual sources (unwrap,
indexing, overflowing arithmetic) in the source; this checks the machine code, where a panic call
survives only if the optimizer could not prove it unreachable. It disassembles the release host
image (`cargo build --profile panic-check -p kmdf-miniport`: the release build with line tables),
finds every call or jump to a panic entry point, and reports each one that the driver's own code
causes: walking the inlined frames of the call site from the innermost out, past the standard
library and other crates, the first frame in the repository is in the driver image's sources
(src/, vwire-proto, ndis-types) and not in host-only code (the host backend src/sys/host/ and
ndis-types' host interface, which only run in the model). Calls inside the standard library's own
panic machinery are not the driver's.

Usage: .ci/no-panic-path.py <libkmdf_miniport.so> <repository root>
"""
import re
import subprocess
import sys

# Where a panic starts: core's panic functions and the `#[cold]` helpers that call them.
PANIC_ENTRY = re.compile(
    r"^(core::panicking::|core::option::unwrap_failed|core::option::expect_failed"
    r"|core::result::unwrap_failed|core::slice::index::|core::str::slice_error_fail"
    r"|core::cell::panic_already|alloc::raw_vec::capacity_overflow|alloc::raw_vec::handle_error"
    r"|alloc::alloc::handle_alloc_error|std::panicking::|std::rt::begin_panic)"
)
# A direct call or jump, `call 553ff <name>`, or one through a GOT slot, `call *0x3bc0e(%rip) # 5aa00`
# (position-independent code calls even local functions that way; the slot's relocation names the
# target).
CALL = re.compile(r"^\s*([0-9a-f]+):\s+(?:call|jmp)\s+[0-9a-f]+ <([^>+]*)(?:\+0x[0-9a-f]+)?>")
CALL_THROUGH_SLOT = re.compile(r"^\s*([0-9a-f]+):\s+(?:call|jmp)\s+\*0x[0-9a-f]+\(%rip\)\s+# ([0-9a-f]+)")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.*)>:$")


def run(*command: str) -> str:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout


def slot_targets(image: str) -> dict:
    """GOT slot address -> the name of the function its relocation points at."""
    names = {}
    for line in run("nm", "-C", image).splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] and parts[1] in ("t", "T", "w", "W"):
            names[int(parts[0], 16)] = parts[2]
    slots = {}
    for line in run("objdump", "-R", image).splitlines():
        match = re.match(r"^([0-9a-f]+)\s+R_X86_64_RELATIVE\s+\*ABS\*\+0x([0-9a-f]+)", line)
        if match and int(match.group(2), 16) in names:
            slots[int(match.group(1), 16)] = names[int(match.group(2), 16)]
    return slots


def main(image: str, root: str) -> int:
    # The patterns above are x86-64's (call/jmp, RIP-relative GOT slots, R_X86_64_RELATIVE): on
    # another host they would find nothing and pass, so refuse instead.
    if "i386:x86-64" not in run("objdump", "-f", image):
        print("no-panic-path: the check reads x86-64 code only; this image is not", file=sys.stderr)
        return 2
    disassembly = run("objdump", "-d", "-C", "--no-show-raw-insn", image)
    slots = slot_targets(image)
    sites = []
    function = ""
    for line in disassembly.splitlines():
        header = FUNCTION.match(line)
        if header:
            function = header.group(1)
            continue
        call = CALL.match(line)
        target = call.group(2) if call else None
        through_slot = CALL_THROUGH_SLOT.match(line)
        if through_slot:
            call, target = through_slot, slots.get(int(through_slot.group(2), 16), "")
        if call and target and PANIC_ENTRY.match(target) and not PANIC_ENTRY.match(function):
            sites.append((call.group(1), function, target))
    if not sites:
        print("no-panic-path: no call to a panic entry point outside the panic machinery")
        return 0
    # One addr2line per site: `-i` prints a variable number of frames per address, so a batch could
    # not be split back into sites. Sites are few.
    root = root.rstrip("/") + "/"
    image_sources = [root + "src/", root + "crates/vwire-proto/src/", root + "crates/ndis-types/src/"]
    host_only = [root + "src/sys/host/", root + "crates/ndis-types/src/host.rs"]
    found = 0
    for address, function, target in sites:
        chain = run("addr2line", "-e", image, "-i", "0x" + address).split()
        cause = next((frame for frame in chain if frame.startswith(root)), "")
        in_driver = any(cause.startswith(s) for s in image_sources) and not any(
            cause.startswith(h) for h in host_only
        )
        if in_driver:
            found += 1
            print(f"panic path: {function} -> {target}")
            for frame in chain:
                print(f"    {frame}")
    print(f"no-panic-path: {found} panic path(s) in the driver, of {len(sites)} panic call site(s) in the image")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
