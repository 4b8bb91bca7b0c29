import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../core/index.js';
import { formatSiteLocation, parseSiteSpec } from './spec.js';

test('local specs keep the path as written', () => {
  assert.deepEqual(parseSiteSpec('local=/backup/a'), { name: 'local', kind: 'local', path: '/backup/a' });
  assert.deepEqual(parseSiteSpec('off-site_2=relative/dir'), { name: 'off-site_2', kind: 'local', path: 'relative/dir' });
  // "=" inside the path belongs to the path.
  assert.deepEqual(parseSiteSpec('a=/mnt/x=y'), { name: 'a', kind: 'local', path: '/mnt/x=y' });
});

test('sftp specs: user, host, default and explicit port, absolute and home-relative paths, IPv6', () => {
  assert.deepEqual(parseSiteSpec('third=sftp://vault@dr-site/c'), { name: 'third', kind: 'sftp', user: 'vault', host: 'dr-site', port: 22, path: '/c' });
  assert.deepEqual(parseSiteSpec('t=sftp://vault@10.0.0.7:2222/srv/vault/'), { name: 't', kind: 'sftp', user: 'vault', host: '10.0.0.7', port: 2222, path: '/srv/vault' });
  assert.deepEqual(parseSiteSpec('t=sftp://vault@[::1]:2200/~/v'), { name: 't', kind: 'sftp', user: 'vault', host: '::1', port: 2200, path: '~/v' });
  assert.deepEqual(parseSiteSpec('t=SFTP://a%40b@h/~'), { name: 't', kind: 'sftp', user: 'a@b', host: 'h', port: 22, path: '~' });
  assert.equal(formatSiteLocation(parseSiteSpec('t=sftp://vault@[::1]:2200/~/v')), 'sftp://vault@[::1]:2200/~/v');
  assert.equal(formatSiteLocation(parseSiteSpec('t=sftp://vault@h/srv')), 'sftp://vault@h:22/srv');
});

const bad: Array<[string, RegExp]> = [
  ['/backup/a', /no "="/],
  ['=/backup/a', /site name is empty/],
  ['Local=/x', /character "L"/],
  ['-a=/x', /character "-"/],
  ['a b=/x', /character " "/],
  [`${'a'.repeat(65)}=/x`, /longer than 64/],
  ['a=', /empty location/],
  ['a=/x\u0000y', /control character/],
  ['a=s3://bucket/x', /scheme "s3:\/\/" is not supported/],
  ['a=sftp://host/path', /no user/],
  ['a=sftp://@host/path', /empty user/],
  ['a=sftp://vault@host', /no path/],
  ['a=sftp://vault@host/', /path is "\/"/],
  ['a=sftp://vault@/p', /empty host/],
  ['a=sftp://vault@host:0/p', /port 0 is not from 1 to 65535/],
  ['a=sftp://vault@host:65536/p', /port 65536/],
  ['a=sftp://vault@host:22x/p', /port "22x"/],
  ['a=sftp://vault@host:/p', /port ""/],
  ['a=sftp://vault@[::1/p', /without "]"/],
  ['a=sftp://vault@ho st/p', /character " "/],
  ['a=sftp://vault@host/a/../b', /"\." or "\.\." segments/],
  ['a=sftp://vault@host/p?x=1', /query/],
  ['a=sftp://vault@host/p%zz', /bad %-escape/],
];

for (const [text, why] of bad) {
  test(`refuses ${JSON.stringify(text.slice(0, 40))} with a clear message`, () => {
    assert.throws(() => parseSiteSpec(text), (err: unknown) => err instanceof InputError && err.code === 'VAULT_SITE_SPEC' && why.test(err.message));
  });
}

test('a password in the URL is refused without being repeated', () => {
  for (const text of ['a=sftp://vault:hunter2-secret@host/p', 'sftp://vault:hunter2-secret@host/p']) {
    assert.throws(
      () => parseSiteSpec(text),
      (err: unknown) => err instanceof InputError && !err.message.includes('hunter2-secret') && /password|no "="/.test(err.message),
    );
  }
});
