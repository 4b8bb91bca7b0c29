import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InputError } from '../../core/index.js';
import { SITE_ERRORS, SiteError } from './errors.js';
import { SftpSite, type SftpSiteOptions } from './sftp-site.js';
import { openSite } from './site.js';
import { freePort, keygen, sshdSkipReason, startSshd, type Sshd } from './sshd.fixture.js';

const skip = sshdSkipReason();

/** Every file under `dir`, relative, including temp files: what is really on the server's disk. */
function filesOnDisk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk('');
  return out.sort();
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<SiteError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}, got success`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SiteError, `expected a SiteError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

describe('SftpSite against a real OpenSSH sshd on loopback', { skip: skip ?? false }, () => {
  let sshd: Sshd;
  const opened: SftpSite[] = [];
  const open = (root: string, extra: Partial<SftpSiteOptions> = {}, name = 'third'): SftpSite => {
    const site = openSite(sshd.spec(name, join(sshd.data, root)), { sftp: sshd.options(extra) });
    assert.ok(site instanceof SftpSite);
    opened.push(site);
    return site;
  };

  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    for (const s of opened) await s.close();
    await sshd.kill();
    rmSync(sshd.dir, { recursive: true, force: true });
  });

  test('blobs of 0 bytes, 1 byte and 20 MiB round-trip over one reused connection, with nothing temporary left', async (t) => {
    const site = open('rt');
    const blobs: Array<[string, Buffer]> = [
      ['config', Buffer.alloc(0)],
      ['locks/one', Buffer.from([0x5a])],
      ['packs/ab/big', randomBytes(20 * 1024 * 1024)],
    ];
    let putMs = 0;
    let getMs = 0;
    for (const [name, bytes] of blobs) {
      let t0 = performance.now();
      await site.put(name, bytes);
      putMs += performance.now() - t0;
      // What sshd wrote to disk, read without SFTP.
      assert.ok(readFileSync(join(sshd.data, 'rt', name)).equals(bytes), `${name} on disk`);
      t0 = performance.now();
      const back = await site.get(name);
      getMs += performance.now() - t0;
      assert.ok(back !== null && Buffer.from(back).equals(bytes), `${name} read back`);
    }
    assert.deepEqual(filesOnDisk(join(sshd.data, 'rt')), ['config', 'locks/one', 'packs/ab/big']);
    assert.equal(site.connectCount, 1);
    t.diagnostic(`20 MiB over loopback SFTP: put+put+put ${putMs.toFixed(0)} ms, gets ${getMs.toFixed(0)} ms`);
  });

  test('get of a missing blob is null; list by prefix skips temp files; delete is idempotent', async () => {
    const site = open('ls');
    assert.equal(await site.get('snapshots/nothing'), null);
    assert.deepEqual(await site.list('packs/'), []);
    for (const name of ['packs/00/a', 'packs/00/b', 'packs/ff/c', 'index/i1', 'snapshots/s1']) await site.put(name, Buffer.from(name));
    writeFileSync(join(sshd.data, 'ls', 'packs', '00', '.tmp-deadbeef'), 'half');
    assert.deepEqual((await site.list('packs/')).sort(), ['packs/00/a', 'packs/00/b', 'packs/ff/c']);
    assert.deepEqual((await site.list('packs')).sort(), ['packs/00/a', 'packs/00/b', 'packs/ff/c']);
    assert.deepEqual((await site.list('')).sort(), ['index/i1', 'packs/00/a', 'packs/00/b', 'packs/ff/c', 'snapshots/s1']);
    await site.delete('packs/00/a');
    await site.delete('packs/00/a');
    assert.equal(await site.get('packs/00/a'), null);
    assert.deepEqual((await site.list('packs/00/')).sort(), ['packs/00/b']);
  });

  test('bad blob names are refused before anything is sent', async () => {
    const site = open('names');
    await assert.rejects(site.put('../escape', Buffer.from('x')), InputError);
    await assert.rejects(site.get('packs/.tmp-x'), InputError);
    assert.equal(site.connectCount, 0);
  });

  test('put replaces atomically: a reader racing a writer sees the old or the new blob, never a mix', async () => {
    const writer = open('atomic');
    const reader = open('atomic');
    const a = Buffer.alloc(1024 * 1024, 0x61);
    const b = Buffer.alloc(1024 * 1024, 0x62);
    await writer.put('config', a);
    let writing = true;
    const writes = (async () => {
      for (let i = 0; i < 12; i++) await writer.put('config', i % 2 ? a : b);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const got = await reader.get('config');
      assert.ok(got !== null, 'the blob never disappears while being replaced');
      const buf = Buffer.from(got);
      assert.ok(buf.equals(a) || buf.equals(b), 'a read saw a mix of two versions');
      reads++;
    }
    await writes;
    assert.ok(reads > 0);
  });

  for (const method of ['hardlink', 'exclusive-open'] as const) {
    test(`putIfAbsent (${method}): two writers on two connections race for 20 names, exactly one wins each`, async () => {
      const one = open(`race-${method}`, { putIfAbsentMethod: method });
      const two = open(`race-${method}`, { putIfAbsentMethod: method });
      for (let i = 0; i < 20; i++) {
        const name = `locks/l${i}`;
        const [r1, r2] = await Promise.all([one.putIfAbsent(name, Buffer.from('one')), two.putIfAbsent(name, Buffer.from('two'))]);
        assert.equal(Number(r1) + Number(r2), 1, `${name}: ${r1} ${r2}`);
        const stored = readFileSync(join(sshd.data, `race-${method}`, name), 'utf8');
        assert.equal(stored, r1 ? 'one' : 'two');
      }
      assert.equal(await one.putIfAbsent('locks/l0', Buffer.from('again')), false);
      assert.equal(readFileSync(join(sshd.data, `race-${method}`, 'locks/l0'), 'utf8').length, 3);
      assert.deepEqual(
        filesOnDisk(join(sshd.data, `race-${method}`)).filter((f) => f.includes('.tmp-')),
        [],
      );
    });
  }

  test('an unknown host key is refused and the error shows its fingerprint', async () => {
    const site = open('hk', { hostKeys: [] });
    const err = await rejectsWith(site.get('config'), SITE_ERRORS.hostKeyUnknown);
    assert.ok(err.message.includes(sshd.hostFingerprint), err.message);
    assert.ok(err.message.includes('site "third"'));
  });

  test('a host key other than the pinned one is refused as changed', async () => {
    const other = join(sshd.dir, 'other_host');
    keygen(other);
    const otherLine = readFileSync(`${other}.pub`, 'utf8');
    const site = open('hk', { hostKeys: [otherLine] });
    const err = await rejectsWith(site.put('config', Buffer.from('x')), SITE_ERRORS.hostKeyChanged);
    assert.match(err.message, /changed/);
    assert.equal(existsSync(join(sshd.data, 'hk', 'config')), false, 'nothing written to an untrusted server');
  });

  test('known_hosts: the listed key is accepted (plain and hashed by ssh-keygen -H), another key for the host is refused', async () => {
    const kh = join(sshd.dir, 'known_hosts');
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    assert.equal(await open('kh', { hostKeys: [], knownHostsPath: kh }).get('x'), null);
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    assert.ok(readFileSync(kh, 'utf8').startsWith('|1|'));
    assert.equal(await open('kh', { hostKeys: [], knownHostsPath: kh }).get('x'), null);
    const other = join(sshd.dir, 'other_kh');
    keygen(other);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${otherKey}\n`);
    await rejectsWith(open('kh', { hostKeys: [], knownHostsPath: kh }).get('x'), SITE_ERRORS.hostKeyChanged);
  });

  test('a key the server does not accept is refused; a wrong passphrase never appears in the error', async () => {
    const stranger = join(sshd.dir, 'stranger');
    keygen(stranger);
    const err = await rejectsWith(open('auth', { privateKeyPath: stranger }).get('x'), SITE_ERRORS.auth);
    assert.match(err.message, /refused key authentication/);
    const locked = join(sshd.dir, 'locked');
    keygen(locked, 'correct horse battery');
    const passphrase = 'Tr0ub4dor&3-not-it';
    const bad = await rejectsWith(open('auth', { privateKeyPath: locked, passphrase }).get('x'), SITE_ERRORS.auth);
    assert.ok(!bad.message.includes(passphrase), bad.message);
    const keyBody = readFileSync(locked, 'utf8').split('\n')[1]!;
    assert.ok(!bad.message.includes(keyBody.slice(0, 20)), 'no key material in the message');
    assert.ok(!JSON.stringify(bad.cause ?? null).includes(passphrase));
    // The right passphrase works (the key is authorised for this test).
    writeFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${locked}.pub`), { flag: 'a' });
    assert.equal(await open('auth', { privateKeyPath: locked, passphrase: 'correct horse battery' }).get('x'), null);
  });

  test('a server that accepted us and then went silent fails the request within its deadline; the next call reconnects', async () => {
    const site = open('stall', { requestTimeoutMs: 800 });
    await site.put('config', Buffer.from('before'));
    sshd.pauseSessions();
    const t0 = performance.now();
    try {
      const err = await rejectsWith(site.get('config'), SITE_ERRORS.timeout);
      assert.match(err.message, /no answer within 800 ms/);
      assert.ok(performance.now() - t0 < 2500, `took ${performance.now() - t0} ms`);
    } finally {
      sshd.resumeSessions();
    }
    assert.deepEqual(Buffer.from((await site.get('config'))!).toString(), 'before');
    assert.equal(site.connectCount, 2);
  });

  test('sshd killed in the middle of a 64 MiB put: a clear error, no partial blob, and a later call reconnects after a restart', async () => {
    const site = open('kill');
    await site.put('config', Buffer.from('v1'));
    const big = randomBytes(64 * 1024 * 1024);
    const dir = join(sshd.data, 'kill', 'packs', 'cd');
    const putting = site.put('packs/cd/big', big);
    // Kill once the temp file is on disk and growing: the put is really under way.
    const deadline = Date.now() + 10_000;
    let sawTemp = false;
    while (!sawTemp && Date.now() < deadline) {
      const temps = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('.tmp-')) : [];
      sawTemp = temps.some((f) => (statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 0);
      if (!sawTemp) await new Promise((r) => setTimeout(r, 1));
    }
    assert.ok(sawTemp, 'the put never started writing');
    await sshd.kill();
    const err = await rejectsWith(putting, SITE_ERRORS.unreachable);
    assert.match(err.message, /site "third" \(sftp:\/\/.+@127\.0\.0\.1:\d+\/.+\): put packs\/cd\/big: /);
    assert.equal(existsSync(join(dir, 'big')), false, 'no partial blob under the final name');

    // Down: fails fast and says so.
    const down = await rejectsWith(site.get('config'), SITE_ERRORS.unreachable);
    assert.match(down.message, /ECONNREFUSED/);
    const probe = await site.probe();
    assert.equal(probe.reachable, false);

    await sshd.start();
    assert.equal(Buffer.from((await site.get('config'))!).toString(), 'v1');
    await site.put('packs/cd/big', big);
    assert.ok(Buffer.from((await site.get('packs/cd/big'))!).equals(big));
    assert.equal(site.connectCount, 2);
  });

  test('probe reports reachability and latency, and notes a root that does not exist yet', async () => {
    const fresh = await open('probe-new').probe();
    assert.equal(fresh.reachable, true);
    assert.ok(fresh.reachable && fresh.latencyMs >= 0 && fresh.note === 'root folder does not exist yet');
    const site = open('probe');
    await site.put('config', Buffer.from('x'));
    const p = await site.probe();
    assert.ok(p.reachable && p.note === undefined);
    assert.deepEqual(site.describe(), { name: 'third', kind: 'sftp', location: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${join(sshd.data, 'probe')}` });
  });
});

test('an SFTP site that accepts TCP and never speaks fails within the connect timeout', async () => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const keyPath = keyForTimeoutTest();
  const site = new SftpSite(
    { name: 'mute', kind: 'sftp', user: 'vault', host: '127.0.0.1', port, path: '/srv/vault' },
    { privateKeyPath: keyPath, hostKeys: ['SHA256:x'], connectTimeoutMs: 700 },
  );
  try {
    const t0 = performance.now();
    const err = await rejectsWith(site.get('config'), SITE_ERRORS.timeout);
    const took = performance.now() - t0;
    assert.ok(took >= 650 && took < 2000, `took ${took} ms`);
    assert.match(err.message, /site "mute" \(sftp:\/\/vault@127\.0\.0\.1:\d+\/srv\/vault\): get config: no SSH session within 700 ms/);
    const probe = await site.probe();
    assert.ok(!probe.reachable && probe.code === SITE_ERRORS.timeout);
  } finally {
    await site.close();
    for (const s of sockets) s.destroy();
    server.close();
    rmSync(join(keyPath, '..'), { recursive: true, force: true });
  }
});

/** An RSA key in PKCS#1 PEM, which ssh2 reads: this test needs no ssh-keygen. */
function keyForTimeoutTest(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-mute-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  writeFileSync(join(dir, 'k'), privateKey, { mode: 0o600 });
  return join(dir, 'k');
}
