#!/usr/bin/env python3
"""Screen images for test_display.sh, with the standard library only.

Reads binary PPM (P6, as djpeg -pnm writes it from a vncsnapshot JPEG) and
PNG (8-bit grey, RGB or RGBA, not interlaced, as QEMU's screendump writes
it). A pixel is lit when one of its channels is at least LIT: the VGA text
console draws light grey (170) or white on black.

  screen.py size FILE          "WIDTH HEIGHT"
  screen.py lit FILE           how many pixels are lit
  screen.py map FILE           the screen as text cells: one line per text
                               row, '#' for a cell with lit pixels, '.' for
                               a dark one (cells of 9x16 pixels when the
                               width is 720, as in VGA text mode, else 8x16)
  screen.py diff FILE1 FILE2   per mille of pixels that differ by more than
                               DIFF in a channel; 1000 when the sizes differ
  screen.py qmp SOCKET JSON    one QMP command on a QEMU monitor socket;
                               prints the "return" value as JSON
"""

import json
import signal
import socket
import struct
import sys
import zlib

LIT = 96
DIFF = 64
CELL_MIN = 4


def fail(msg):
    sys.stderr.write("screen.py: %s\n" % msg)
    sys.exit(1)


def load_ppm(data):
    fields = []
    i = 2
    while len(fields) < 3:
        while data[i:i + 1].isspace():
            i += 1
        if data[i:i + 1] == b"#":
            while data[i:i + 1] not in (b"\n", b""):
                i += 1
            continue
        j = i
        while j < len(data) and not data[j:j + 1].isspace():
            j += 1
        fields.append(int(data[i:j]))
        i = j
    i += 1
    w, h, maxval = fields
    if maxval != 255:
        fail("PPM with maxval %d" % maxval)
    px = data[i:i + w * h * 3]
    if len(px) != w * h * 3:
        fail("PPM is short")
    return w, h, px


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def load_png(data):
    pos = 8
    idat = b""
    w = h = None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]:
            fail("PNG chunk %r: bad CRC" % kind)
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (0, 2, 6) or interlace:
                fail("PNG depth %d colour type %d interlace %d not handled"
                     % (depth, ctype, interlace))
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    if w is None:
        fail("PNG without IHDR")
    bpp = {0: 1, 2: 3, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    out = bytearray()
    prev = bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                line[x] = (line[x] + paeth(a, b, c)) & 255
            elif f != 0:
                fail("PNG filter %d" % f)
        prev = line
        if bpp == 3:
            out += line
        elif bpp == 4:
            for x in range(w):
                out += line[x * 4:x * 4 + 3]
        else:
            for v in line:
                out += bytes((v, v, v))
    return w, h, bytes(out)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"P6":
        return load_ppm(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return load_png(data)
    fail("%s: neither a binary PPM nor a PNG" % path)


def lit_mask(px):
    # max of the three channels, per pixel
    r, g, b = px[0::3], px[1::3], px[2::3]
    return [max(t) >= LIT for t in zip(r, g, b)]


def cmd_map(path):
    w, h, px = load(path)
    m = lit_mask(px)
    cw = 9 if w == 720 else 8
    ch = 16
    for row in range(h // ch):
        line = []
        for col in range(w // cw):
            n = 0
            for y in range(row * ch, row * ch + ch):
                base = y * w + col * cw
                n += sum(m[base:base + cw])
            line.append("#" if n >= CELL_MIN else ".")
        print("".join(line))


def cmd_diff(p1, p2):
    w1, h1, a = load(p1)
    w2, h2, b = load(p2)
    if (w1, h1) != (w2, h2):
        print(1000)
        return
    n = 0
    for i in range(0, len(a), 3):
        if (abs(a[i] - b[i]) > DIFF or abs(a[i + 1] - b[i + 1]) > DIFF or
                abs(a[i + 2] - b[i + 2]) > DIFF):
            n += 1
    print(n * 1000 // (w1 * h1))


def cmd_qmp(path, cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()
    for line in ('{"execute": "qmp_capabilities"}', cmd):
        f.write(line + "\n")
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if "event" not in reply:
                break
        if "error" in reply:
            fail("QMP: %s" % reply["error"].get("desc"))
    print(json.dumps(reply["return"]))


def main(argv):
    # quietly, when the reader of a map stops early (| head)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(argv) == 3 and argv[1] == "size":
        w, h, _ = load(argv[2])
        print(w, h)
    elif len(argv) == 3 and argv[1] == "lit":
        print(sum(lit_mask(load(argv[2])[2])))
    elif len(argv) == 3 and argv[1] == "map":
        cmd_map(argv[2])
    elif len(argv) == 4 and argv[1] == "diff":
        cmd_diff(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "qmp":
        cmd_qmp(argv[2], argv[3])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
