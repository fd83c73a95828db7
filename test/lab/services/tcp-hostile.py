#!/usr/bin/env python3
"""Hostile TCP segments from the private network toward a device connection, through the
gateway and into the tunnel (raw IPv4, spoofing the service's side of the connection).
Usage: tcp-hostile.py SRC_ADDR SRC_PORT DST_ADDR DST_PORT COUNT
Sends COUNT segments of each kind and prints "sent KIND N" per kind:
  bad-checksum   data with a wrong TCP checksum
  rst-out        RST with a sequence number far outside the window
  syn-out        SYN with a sequence number far outside the window
  bad-options    an MSS option of length 3 (malformed), checksum right
  bad-flags      SYN+FIN, checksum right
  data-out       data far outside the window, checksum right
"""
import random
import socket
import struct
import sys
import time

src, sport, dst, dport, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
SYN, RST, ACK, FIN, PSH = 0x02, 0x04, 0x10, 0x01, 0x08


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(flags: int, seq: int, ack: int, payload: bytes = b"", options: bytes = b"", corrupt: bool = False) -> bytes:
    offset = (20 + len(options)) // 4
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, 65535, 0, 0) + options
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(header) + len(payload))
    c = csum(pseudo + header + payload)
    if corrupt:
        c ^= 0x5A5A
    return header[:16] + struct.pack("!H", c) + header[18:] + payload


def ip(tcp: bytes) -> bytes:
    # Total length, id and checksum are filled in by the kernel (IP_HDRINCL).
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst)) + tcp


far = lambda: random.getrandbits(32)
kinds = {
    "bad-checksum": lambda: segment(ACK | PSH, far(), far(), b"x" * 100, corrupt=True),
    "rst-out": lambda: segment(RST, far(), 0),
    "syn-out": lambda: segment(SYN, far(), 0),
    "bad-options": lambda: segment(ACK, far(), far(), options=b"\x02\x03\x05\x00"),
    "bad-flags": lambda: segment(SYN | FIN, far(), 0),
    "data-out": lambda: segment(ACK | PSH, far(), far(), b"y" * 200),
}
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
for name, make in kinds.items():
    for _ in range(count):
        s.sendto(ip(make()), (dst, 0))
        time.sleep(0.005)
    print(f"sent {name} {count}", flush=True)
