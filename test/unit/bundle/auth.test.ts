/** Where a registry credential may go: its own host (Docker Hub's fixed API and token hosts for docker.io), over HTTPS. */
import { describe, expect, it } from 'vitest';
import { basicFor, parseAuthFile } from '../../../src/bundle/auth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('registry credentials', () => {
  // the key `docker login` writes for Docker Hub, and a host:port key as podman writes it
  const auths = parseAuthFile(
    JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') }, 'reg.internal:5000': { auth: b64('me:pw2') } } }),
    'auth.json',
  );

  it("docker.io credentials reach Docker Hub's API and token hosts over HTTPS, and no other host", () => {
    expect(basicFor(new URL('https://registry-1.docker.io/v2/library/nginx/manifests/1'), { auths })).toBe(`Basic ${b64('hub:pw')}`);
    expect(basicFor(new URL('https://auth.docker.io/token?service=registry.docker.io'), { auths })).toBe(`Basic ${b64('hub:pw')}`);
    expect(basicFor(new URL('https://docker.io.evil.example/token'), { auths })).toBeUndefined();
    expect(basicFor(new URL('https://reg.internal/v2/'), { auths })).toBeUndefined(); // another port is another host
    expect(basicFor(new URL('https://reg.internal:5000/v2/'), { auths })).toBe(`Basic ${b64('me:pw2')}`);
  });

  it('plain HTTP only to a host marked insecure', () => {
    expect(() => basicFor(new URL('http://reg.internal:5000/v2/'), { auths })).toThrow(
      'reg.internal:5000 asks for credentials over plain HTTP',
    );
    expect(basicFor(new URL('http://reg.internal:5000/v2/'), { auths, insecure: ['reg.internal:5000'] })).toBe(`Basic ${b64('me:pw2')}`);
  });

  it('a malformed auths file is an error naming the entry, never its value', () => {
    expect(() => parseAuthFile(JSON.stringify({ auths: { 'reg:5000': { auth: b64('no-colon-s3cret') } } }), 'a.json')).toThrow(
      'a.json: auths.reg:5000.auth is not base64 of "user:password"',
    );
    expect(() => parseAuthFile('{"auths": {"reg:5000": {"auth": "s3cret"}}}', 'a.json')).not.toThrow(/s3cret/);
    expect(() => parseAuthFile('[]', 'a.json')).toThrow('a.json: no "auths" object');
  });
});
