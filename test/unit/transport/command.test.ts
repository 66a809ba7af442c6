import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HOSTILE } from './hostile.js';
import { commandDisplay, commandSecrets, commandText, maskSecrets, quote, raw, secret, sh } from '../../../src/transport/command.js';

function shEcho(script: string): string {
  return execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
}

describe('quote', () => {
  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))('round-trips %s through a real sh -c', (_, s) => {
    expect(shEcho(`printf '%s' ${quote(s)}`)).toBe(s);
  });

  it('keeps safe words bare and makes the empty string a word', () => {
    expect(quote('abc-1.2/x:y')).toBe('abc-1.2/x:y');
    expect(quote('')).toBe("''");
    expect(shEcho(`set -- ${quote('')} x; echo $#`)).toBe('2\n');
  });
});

describe('sh``', () => {
  it('quotes every interpolation and splices arrays as words', () => {
    const files = ['a b', '$(id)'];
    const s = sh`printf '%s|' ${files} ${'c;d'}`;
    expect(shEcho(s.text)).toBe('a b|$(id)|c;d|');
  });

  it('refuses a template whose invalid escape would drop the rest of the script', () => {
    const value = '/x';
    // \1 is an invalid escape in a template literal: the tag receives no text for that part
    expect(() => sh`sed -e "s#^\([a-z]*\)#\1#" ${value} && echo tail`).toThrow(/invalid escape sequence/);
    expect(shEcho(sh`printf '%s' "\\1" ${value}`.text)).toBe('\\1/x');
  });

  it('masks secrets in display but runs them for real', () => {
    const token = 'abcdef.0123456789abcdef';
    const s = sh`printf '%s' ${secret(token)}`;
    expect(s.display).toBe("printf '%s' ***");
    expect(s.display).not.toContain(token);
    expect(shEcho(s.text)).toBe(token);
    expect(commandSecrets(s)).toEqual([token]);
  });

  it('carries secrets through nested scripts', () => {
    const inner = sh`echo ${secret('hunter2-long')}`;
    const outer = sh`${inner} && echo ${'ok'}`;
    expect(outer.display).toBe('echo *** && echo ok');
    expect(outer.secrets).toEqual(['hunter2-long']);
  });

  it('inserts raw() text verbatim', () => {
    expect(sh`${raw('a | b')} ${'c|d'}`.text).toBe("a | b 'c|d'");
  });

  it('argv arrays are quoted word by word', () => {
    expect(commandText(['echo', 'a b', '$x'])).toBe("echo 'a b' '$x'");
    expect(commandDisplay(['echo', 'x'])).toBe('echo x');
  });

  it('maskSecrets replaces every occurrence and ignores very short values', () => {
    expect(maskSecrets('tok=s3cret s3cret', ['s3cret'])).toBe('tok=*** ***');
    expect(maskSecrets('abc', ['ab'])).toBe('abc');
  });
});
