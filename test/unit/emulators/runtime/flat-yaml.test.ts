import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseFlatYaml } from '../../../lab/emulators/src/runtime/flat-yaml.js';

// crictl reads /etc/crictl.yaml with parseFlatYaml, falling back to the yaml package: whatever it answers must be
// exactly what yaml.parse gives.
const FLAT = [
  'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\ndebug: false\n',
  '# crictl configuration written by kubesmith.\nruntime-endpoint: "unix:///var/run/containerd/containerd.sock"\nimage-endpoint: "unix:///var/run/containerd/containerd.sock"\ntimeout: 10\ndebug: false\n',
  "runtime-endpoint: 'unix:///var/run/cri-dockerd.sock'\n\n  # indented comment\npull-image-on-create: TRUE\ndisable-pull-on-run: False\n",
  'a: ~\nb:\nc: Null\nd: NULL\ne: null\nf: 007\ng: /x/y\nh: _z\ni: a::b\nj: x@y.z\n',
  '# only a comment\n',
  '',
];
const NOT_FLAT = [
  'a: b # comment',
  'a: "x\\ty"',
  "a: 'it''s'",
  'a:\n  b: c',
  'a: [1, 2]',
  'a: {b: c}',
  '- a',
  '---\na: b',
  'a: b\na: c',
  'a: 1.5',
  'a: 0x1F',
  'a: -1',
  'a: yes_no ',
  'a: unix:',
  'a: nuLL',
  'true: x',
  'a:\tb',
  'a: b\r\n',
  ' a: b',
  'a: *x',
  'a: &x b',
  'a: |\n  x',
  '__proto__: x',
  'a: "b" ',
  'a: .inf',
];

describe('parseFlatYaml', () => {
  it.each(FLAT)('reads %j as yaml.parse does', (text) => {
    expect(parseFlatYaml(text)).toEqual(parse(text));
  });
  it.each(NOT_FLAT)('leaves %j to the yaml package', (text) => {
    expect(parseFlatYaml(text)).toBeUndefined();
  });
});
