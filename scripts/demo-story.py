#!/usr/bin/env python3
"""The demo's traffic story: writes in0..in3.pcap into DIR and prints the
story; with --check, compares every frame the switch wrote (out0..out3.pcap)
with what the story says must come out, and prints the verdict."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapgen import udp_frame, write_pcap, read_pcap  # noqa: E402

HOSTS = {  # name: (MAC, where)
    'A': ('02:00:00:00:00:0a', 'p0, red'),
    'B': ('02:00:00:00:00:0b', 'p1 untagged, red'),
    'C': ('02:00:00:00:00:0c', 'p2, blue'),
    'D': ('02:00:00:00:00:0d', 'p3, blue (static MAC)'),
    'E': ('02:00:00:00:00:0e', 'p1 VLAN 100, blue'),
}
BROADCAST = 'ff:ff:ff:ff:ff:ff'


def m(name):
    return HOSTS[name][0] if name in HOSTS else BROADCAST


def frame(src, dst, n, vid=None, pcp=0):
    tags = [(0x8100, (pcp << 13) | vid)] if vid else []
    return udp_frame(m(dst), m(src), flow=n, tags=tags)


# (input port, src, dst, VID on input, what happens, {output port: VID or 0})
STORY = [
    ('p0', 'A', '*', None, 'A broadcasts: flooded to the rest of red', {'p1': 0}),
    ('p0', 'A', 'B', None, 'A to B, B unknown yet: flooded in red', {'p1': 0}),
    ('p1', 'B', 'A', None, 'B answers: A was learned on p0, unicast', {'p0': 0}),
    ('p1', 'E', '*', 100, 'E broadcasts on VLAN 100: flooded in blue, untagged',
     {'p2': 0, 'p3': 0}),
    ('p1', 'B', '*', None, 'B broadcasts untagged: red only', {'p0': 0}),
    ('p2', 'C', 'E', None, 'C to E: learned on p1 VLAN 100, tag pushed',
     {'p1': 100}),
    ('p2', 'C', 'D', None, 'C to D: a static MAC on p3', {'p3': 0}),
    ('p2', 'A', '*', None, "a host with A's MAC in blue: isolated from red's A",
     {'p1': 100, 'p3': 0}),
    ('p3', 'D', 'C', None, 'D answers C: unicast', {'p2': 0}),
    ('p3', 'D', 'A', None, "D to A's MAC in blue: goes to p2, not to red's p0",
     {'p2': 0}),
]


def expected_outputs():
    outputs = {p: [] for p in ('p0', 'p1', 'p2', 'p3')}
    for n, (_, src, dst, _, _, outs) in enumerate(STORY):
        for port, vid in outs.items():
            outputs[port].append(frame(src, dst, n, vid or None))
    return outputs


def write(directory):
    inputs = {p: [] for p in ('p0', 'p1', 'p2', 'p3')}
    for n, (port, src, dst, vid, text, _) in enumerate(STORY):
        inputs[port].append(frame(src, dst, n, vid, pcp=5 if vid else 0))
        print('  %2d. on %s: %s' % (n + 1, port, text))
    for port, frames in inputs.items():
        write_pcap(os.path.join(directory, 'in%s.pcap' % port[1:]), frames)
    print('  hosts: ' + '; '.join('%s %s (%s)' % (k, v[0], v[1])
                                  for k, v in HOSTS.items()))


def check(directory):
    failures = 0
    for port, expected in expected_outputs().items():
        got = read_pcap(os.path.join(directory, 'out%s.pcap' % port[1:]))
        ok = got == expected
        failures += not ok
        print('  %s sent %d frame(s), the story says %d: %s' %
              (port, len(got), len(expected), 'as expected' if ok else 'WRONG'))
    print('\nverdict: %s' % ('every frame went exactly where it should; no '
                             'frame crossed between red and blue' if not failures
                             else '%d port(s) sent something else' % failures))
    return 1 if failures else 0


if __name__ == '__main__':
    if sys.argv[1] == '--check':
        sys.exit(check(sys.argv[2]))
    write(sys.argv[1])
