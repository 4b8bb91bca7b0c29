/**
 * Sigma conformance: detection values, lists, maps, field names, keywords and YAML typing,
 * written from the specification text (SigmaHQ/sigma-specification,
 * specification/sigma-rules-specification.md v2.0.0, §Detection). Each test name cites the
 * section it checks. Tests marked "(convention)" cover points the specification leaves open
 * ("The application of these values depends on the target SIEM system"); they assert what
 * pySigma / Hayabusa do.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, matches, compileError, rule, sel } from './conformance.suite.js';

// ---------------------------------------------------------------------------------------

describe('Detection §General: values are case-insensitive strings', () => {
  test('§General: "All values are treated as case-insensitive strings"', () => {
    const r = sel(String.raw`Image: 'C:\Windows\System32\whoami.exe'`);
    assert.equal(matches(r, { Image: 'c:\\windows\\system32\\WHOAMI.EXE' }), true);
    assert.equal(matches(r, { Image: 'C:\\Windows\\System32\\whoami.exe ' }), false, 'a plain value matches the whole field');
  });

  test('§General: non-ASCII letters also compare case-insensitively', () => {
    assert.equal(matches(sel(`User: 'ÄDMIN'`), { User: 'ädmin' }), true);
  });

  test('§General: an unquoted integer matches the event number 4688 and the text "4688"', () => {
    const r = compileRule(sel(`EventID: 4688`));
    assert.equal(r({ EventID: 4688 }), true);
    assert.equal(r({ EventID: '4688' }), true);
    assert.equal(r({ EventID: 46880 }), false);
    assert.equal(r({ EventID: 468 }), false);
  });

  test("§General: a quoted '4688' matches the event number 4688 (values are strings)", () => {
    assert.equal(matches(sel(`EventID: '4688'`), { EventID: 4688 }), true);
  });

  test('§Maps example: TicketOptions quoted hex "0x40810000" matches the same text', () => {
    const r = sel(`
      EventLog: Security
      EventID: 4769
      TicketOptions: '0x40810000'
      TicketEncryption: '0x17'
    `);
    assert.equal(matches(r, { EventLog: 'Security', EventID: 4769, TicketOptions: '0x40810000', TicketEncryption: '0x17' }), true);
    assert.equal(matches(r, { EventLog: 'Security', EventID: 4769, TicketOptions: '0x40810000', TicketEncryption: '0x12' }), false);
  });

  test('§General: booleans compare as their text, true vs true / "true" / "True" (convention)', () => {
    const t = compileRule(sel(`Enabled: true`));
    assert.equal(t({ Enabled: true }), true);
    assert.equal(t({ Enabled: 'true' }), true);
    assert.equal(t({ Enabled: 'True' }), true);
    assert.equal(t({ Enabled: false }), false);
    const f = compileRule(sel(`Enabled: false`));
    assert.equal(f({ Enabled: false }), true);
    assert.equal(f({ Enabled: true }), false);
    assert.equal(f({}), false, 'false is a value, not absence');
  });
});

describe('Detection §String Wildcard', () => {
  test('§String Wildcard: * replaces an unbounded run, including an empty one', () => {
    const r = compileRule(sel(`Image: 'antivirus_V*.exe'`));
    assert.equal(r({ Image: 'antivirus_V1.exe' }), true);
    assert.equal(r({ Image: 'antivirus_V21.2.1.exe' }), true);
    assert.equal(r({ Image: 'antivirus_V.exe' }), true);
    assert.equal(r({ Image: 'antivirus_V1.dll' }), false);
  });

  test('§String Wildcard: ? replaces exactly one mandatory character', () => {
    const r = compileRule(sel(`Image: 'prog?.exe'`));
    assert.equal(r({ Image: 'progA.exe' }), true);
    assert.equal(r({ Image: 'progb.EXE' }), true);
    assert.equal(r({ Image: 'prog.exe' }), false);
    assert.equal(r({ Image: 'progAB.exe' }), false);
  });

  test('§String Wildcard: several wildcards in one value, leading and trailing', () => {
    const r = compileRule(sel(String.raw`CommandLine: '*\rundll32.exe*,#?*'`));
    assert.equal(r({ CommandLine: 'C:\\Windows\\rundll32.exe evil.dll,#1' }), true);
    assert.equal(r({ CommandLine: 'C:\\Windows\\rundll32.exe evil.dll,#' }), false);
  });

  test('§String Wildcard: a pathological * pattern against a long text stays fast (no exponential backtracking)', () => {
    const r = compileRule(sel(`Payload: '*a*a*a*a*a*a*a*a*a*a*b'`));
    const start = performance.now();
    assert.equal(r({ Payload: 'a'.repeat(20_000) }), false);
    assert.ok(performance.now() - start < 1000);
  });
});

describe('Detection §Escaping', () => {
  test('§Escaping: "\\*" is a plain asterisk', () => {
    const r = compileRule(sel(String.raw`Value: 'Foo\*'`));
    assert.equal(r({ Value: 'foo*' }), true);
    assert.equal(r({ Value: 'foobar' }), false);
  });

  test('§Escaping: "\\?" is a plain question mark', () => {
    const r = compileRule(sel(String.raw`Value: 'what\?'`));
    assert.equal(r({ Value: 'what?' }), true);
    assert.equal(r({ Value: 'whatX' }), false);
  });

  test('§Escaping: "\\\\*" is a backslash followed by a wildcard', () => {
    const r = compileRule(sel(String.raw`Path: 'C:\\*'`));
    assert.equal(r({ Path: 'C:\\Users\\bob' }), true);
    assert.equal(r({ Path: 'C:\\' }), true);
    assert.equal(r({ Path: 'C:Users' }), false);
  });

  test('§Escaping: "\\\\\\*" (three backslashes) is a backslash and a plain asterisk', () => {
    const r = compileRule(sel(String.raw`Path: 'C:\\\*'`));
    assert.equal(r({ Path: 'C:\\*' }), true);
    assert.equal(r({ Path: 'C:\\x' }), false);
  });

  test('§Escaping: "\\\\\\\\" (four backslashes) results in the plain value "\\\\"', () => {
    const r = compileRule(sel(String.raw`Share: '\\\\server\share'`));
    assert.equal(r({ Share: '\\\\server\\share' }), true);
    assert.equal(r({ Share: '\\server\\share' }), false);
  });

  test('§Escaping: three backslashes not before a wildcard are also a double backslash', () => {
    const r = compileRule(sel(String.raw`Share: '\\\server\share'`));
    assert.equal(r({ Share: '\\\\server\\share' }), true);
  });

  test('§Escaping: a plain backslash not followed by a wildcard is literal — C:\\Windows\\System32\\ (trailing too)', () => {
    const r = compileRule(sel(String.raw`Image|startswith: 'C:\Windows\System32\'`));
    assert.equal(r({ Image: 'C:\\Windows\\System32\\cmd.exe' }), true);
    assert.equal(r({ Image: 'C:\\Windows\\SysWOW64\\cmd.exe' }), false);
    const exact = compileRule(sel(String.raw`Dir: 'C:\Windows\System32\'`));
    assert.equal(exact({ Dir: 'C:\\Windows\\System32\\' }), true);
  });

  test('§Escaping: "Plain backslash … can be expressed as single \\ or double backslash \\\\" — both spellings are the same value', () => {
    const single = compileRule(sel(String.raw`Image: 'C:\Windows\System32\cmd.exe'`));
    const double = compileRule(sel(String.raw`Image: 'C:\\Windows\\System32\\cmd.exe'`));
    for (const image of ['C:\\Windows\\System32\\cmd.exe', 'C:\\\\Windows\\\\System32\\\\cmd.exe']) {
      assert.equal(double({ Image: image }), single({ Image: image }), image);
    }
    assert.equal(double({ Image: 'C:\\Windows\\System32\\cmd.exe' }), true);
  });

  test("§Lists example: Image|endswith: '\\\\example.exe' means a single backslash", () => {
    const r = compileRule(sel(String.raw`Image|endswith: '\\example.exe'`));
    assert.equal(r({ Image: 'C:\\Temp\\example.exe' }), true);
    assert.equal(r({ Image: 'C:\\Temp\\myexample.exe' }), false);
  });

  test('§General: "You don\'t have to escape characters except the string quotation marks" — regex-like characters are literal', () => {
    const r = compileRule(sel(`CommandLine|contains: '.exe ($x) [0]+{1}^|'`));
    assert.equal(r({ CommandLine: 'a.exe ($x) [0]+{1}^| b' }), true);
    assert.equal(r({ CommandLine: 'aXexe ($x) [0]+{1}^| b' }), false);
  });
});

describe('Detection §Special Field Values: null and empty', () => {
  test('§Special Field Values: null matches a field that is absent (convention: pySigma "field IS NULL" / not exists)', () => {
    assert.equal(matches(sel(`PasswordLastSet: null`), { EventID: 4738 }), true);
  });

  test('§Special Field Values: null matches a JSON null value', () => {
    assert.equal(matches(sel(`PasswordLastSet: null`), { PasswordLastSet: null }), true);
  });

  test("§Special Field Values: null does not match the empty value '' nor a real value", () => {
    assert.equal(matches(sel(`PasswordLastSet: null`), { PasswordLastSet: '' }), false);
    assert.equal(matches(sel(`PasswordLastSet: null`), { PasswordLastSet: '%%1794' }), false);
  });

  test('§Special Field Values example: selection and not filter (filter: PasswordLastSet: null) is "not null"', () => {
    const r = compileRule(rule(`
      selection:
          EventID: 4738
      filter:
          PasswordLastSet: null
      condition: selection and not filter
    `));
    assert.equal(r({ EventID: 4738, PasswordLastSet: '3/1/2024 10:00:00 AM' }), true);
    assert.equal(r({ EventID: 4738 }), false);
    assert.equal(r({ EventID: 4738, PasswordLastSet: null }), false);
  });

  test("§Special Field Values: the empty value '' matches only an empty string", () => {
    const r = compileRule(sel(`CommandLine: ''`));
    assert.equal(r({ CommandLine: '' }), true);
    assert.equal(r({ CommandLine: 'x' }), false);
    assert.equal(r({ CommandLine: ' ' }), false);
    assert.equal(r({}), false, "an absent field is not ''");
    assert.equal(r({ CommandLine: null }), false, "null is not ''");
  });

  test('§Special Field Values: null inside a value list is one of the ORed alternatives', () => {
    const r = compileRule(sel(`
      ParentImage:
          - null
          - ''
    `));
    assert.equal(r({}), true);
    assert.equal(r({ ParentImage: '' }), true);
    assert.equal(r({ ParentImage: 'x' }), false);
  });
});

describe('Detection §Lists and §Maps', () => {
  test('§Maps example: map items are ANDed, a value list is ORed (EventLog Security and EventID 517 or 1102)', () => {
    const r = compileRule(sel(`
      EventLog: Security
      EventID:
          - 517
          - 1102
    `));
    assert.equal(r({ EventLog: 'Security', EventID: 517 }), true);
    assert.equal(r({ EventLog: 'Security', EventID: 1102 }), true);
    assert.equal(r({ EventLog: 'Security', EventID: 4624 }), false);
    assert.equal(r({ EventLog: 'System', EventID: 1102 }), false);
  });

  test('§Lists example: a list of maps is ORed (Image|endswith … or Description|contains …)', () => {
    const r = compileRule(sel(String.raw`
      - Image|endswith: '\\example.exe'
      - Description|contains: 'Test executable'
    `));
    assert.equal(r({ Image: 'C:\\x\\example.exe' }), true);
    assert.equal(r({ Description: 'A Test Executable file' }), true);
    assert.equal(r({ Image: 'C:\\x\\other.exe', Description: 'other' }), false);
  });

  test('§Lists: a list of maps ANDs the items inside each map', () => {
    const r = compileRule(rule(`
      selection:
          - Image|endswith: '.exe'
            User: bob
          - EventID: 1
      condition: selection
    `));
    assert.equal(r({ Image: 'a.exe', User: 'bob' }), true);
    assert.equal(r({ Image: 'a.exe', User: 'eve' }), false);
    assert.equal(r({ EventID: 1 }), true);
  });

  test('§Lists: an event field holding a list matches when any element matches (convention)', () => {
    const r = compileRule(sel(`Tags: 'T1059'`));
    assert.equal(r({ Tags: ['T1003', 't1059'] }), true);
    assert.equal(r({ Tags: ['T1003', 'T1055'] }), false);
    const c = compileRule(sel(`Hashes|contains: 'MD5=ABC'`));
    assert.equal(c({ Hashes: ['SHA1=00', 'md5=abcdef'] }), true);
    const n = compileRule(sel(`Ports: 445`));
    assert.equal(n({ Ports: [139, 445] }), true);
  });
});

describe('Detection §Field Usage: nested and dotted field names', () => {
  test('§Field Usage: a dotted field name reaches into nested objects (process.command_line)', () => {
    const r = compileRule(sel(`process.command_line|contains: 'whoami'`));
    assert.equal(r({ process: { command_line: 'cmd /c whoami', name: 'cmd.exe' } }), true);
    assert.equal(r({ process: { name: 'whoami.exe' } }), false);
  });

  test('§Field Usage: a literal dotted key wins over nesting (convention: flat ECS keys)', () => {
    const both = { 'process.name': 'flat.exe', process: { name: 'nested.exe' } };
    assert.equal(matches(sel(`process.name: 'flat.exe'`), both), true);
    assert.equal(matches(sel(`process.name: 'nested.exe'`), both), false);
    assert.equal(matches(sel(`process.name: 'flat.exe'`), { 'process.name': 'flat.exe' }), true);
  });

  test('§Field Usage: a key that itself holds dots, inside an object (winlog.event_data.Image)', () => {
    assert.equal(matches(sel(`winlog.event_data.Image|endswith: 'cmd.exe'`), { winlog: { 'event_data.Image': 'C:\\cmd.exe' } }), true);
    assert.equal(matches(sel(`winlog.event_data.Image|endswith: 'cmd.exe'`), { winlog: { event_data: { Image: 'C:\\cmd.exe' } } }), true);
  });

  test('§Field Usage: arrays of objects along a dotted path — any element (convention)', () => {
    const r = compileRule(sel(`dns.answers.data: '10.0.0.1'`));
    assert.equal(r({ dns: { answers: [{ data: '8.8.8.8' }, { data: '10.0.0.1' }] } }), true);
    assert.equal(r({ dns: { answers: [{ data: '8.8.8.8' }] } }), false);
  });

  test('§Field Usage: field names are matched as written (Windows names such as Provider_Name)', () => {
    assert.equal(matches(sel(`Provider_Name: 'Service Control Manager'`), { Provider_Name: 'Service Control Manager' }), true);
  });
});

describe('Detection §Keywords search', () => {
  test('§Keywords search: a plain list searches the entire event, ORed ("event::clear" or "event::drop")', () => {
    const r = compileRule(rule(`
      mimikatz_keywords:
          - 'event::clear'
          - 'event::drop'
      condition: mimikatz_keywords
    `));
    assert.equal(r({ CommandLine: 'mimikatz.exe "event::drop" exit' }), true);
    assert.equal(r({ Other: 'x', Message: 'privilege::debug event::clear' }), true);
    assert.equal(r({ CommandLine: 'mimikatz.exe "sekurlsa::logonpasswords"' }), false);
  });

  test('§Keywords search: nested values and array elements are searched too', () => {
    const r = compileRule(rule(`
      keywords:
          - 'EVILSERVICE'
      condition: keywords
    `));
    assert.equal(r({ winlog: { event_data: { ServiceName: 'evilservice' } } }), true);
    assert.equal(r({ Details: ['a', { deep: ['x', 'my EvilService here'] }] }), true);
    assert.equal(r({ winlog: { event_data: { ServiceName: 'goodservice' } } }), false);
  });

  test('§Keywords search: keywords are case-insensitive and found inside a value (full-text search convention)', () => {
    const r = compileRule(rule(`
      keywords:
          - 'svchost.exe -n evil'
      condition: keywords
    `));
    assert.equal(r({ Message: 'started SVCHOST.EXE -n EVIL by x' }), true);
  });

  test('§Keywords search: a keyword may hold wildcards', () => {
    const r = compileRule(rule(`
      keywords:
          - 'sekurlsa::*passwords'
      condition: keywords
    `));
    assert.equal(r({ Message: 'run sekurlsa::logonpasswords now' }), true);
    assert.equal(r({ Message: 'run sekurlsa::tickets now' }), false);
  });

  test('§Keywords search: a numeric keyword matches a number anywhere in the event', () => {
    const r = compileRule(rule(`
      keywords:
          - 4625
      condition: keywords
    `));
    assert.equal(r({ System: { EventID: 4625 } }), true);
    assert.equal(r({ System: { EventID: 4624 } }), false);
  });

  test('§Keywords search: a single keyword written as a plain value (not a list) also works', () => {
    const r = compileRule(rule(`
      keywords: 'event::clear'
      condition: keywords
    `));
    assert.equal(r({ Message: 'x event::clear y' }), true);
  });
});

describe('YAML typing (rules spec §Yaml File: YAML 1.2)', () => {
  for (const word of ['yes', 'no', 'on', 'off', 'y', 'n', 'Yes', 'OFF']) {
    test(`§Yaml File (YAML 1.2): unquoted ${word} stays the string '${word}', not a boolean`, () => {
      const r = compileRule(sel(`Value: ${word}`));
      assert.equal(r({ Value: word }), true);
      assert.equal(r({ Value: word.toLowerCase() }), true);
      assert.equal(r({ Value: true }), false);
      assert.equal(r({ Value: false }), false);
    });
  }

  test('§Yaml File: unquoted hex 0x1fffff compares as written, not as 2097151', () => {
    const r = compileRule(sel(`GrantedAccess: 0x1fffff`));
    assert.equal(r({ GrantedAccess: '0x1fffff' }), true);
    assert.equal(r({ GrantedAccess: '0x1FFFFF' }), true, 'case-insensitive like every value');
    assert.equal(r({ GrantedAccess: '2097151' }), false);
    assert.equal(r({ GrantedAccess: 2097151 }), false);
  });

  test('§Yaml File: unquoted hex in a list compares as written too', () => {
    const r = compileRule(sel(`
      GrantedAccess:
          - 0x1010
          - 0x1410
    `));
    assert.equal(r({ GrantedAccess: '0x1410' }), true);
    assert.equal(r({ GrantedAccess: '5136' }), false);
  });

  test('§Yaml File: an unquoted decimal with a fraction compares as written (1.10 is not 1.1)', () => {
    const r = compileRule(sel(`Version: 1.10`));
    assert.equal(r({ Version: '1.10' }), true);
    assert.equal(r({ Version: '1.1' }), false);
  });

  test('§Yaml File: a 20-digit unquoted number is not rounded to a double', () => {
    const r = compileRule(sel(`LogonId: 12345678901234567891`));
    assert.equal(r({ LogonId: '12345678901234567891' }), true);
    assert.equal(r({ LogonId: '12345678901234567000' }), false);
  });

  test('§Yaml File: "~" is YAML null and behaves as the Sigma null value', () => {
    assert.equal(matches(sel(`PasswordLastSet: ~`), {}), true);
    assert.equal(matches(sel(`PasswordLastSet: ~`), { PasswordLastSet: '~' }), false);
  });

  test('§Yaml File (YAML 1.2 mapping keys are unique): a selection repeating a field is rejected with its line, not silently overridden', () => {
    const reason = compileError(sel(`
      Image|endswith: '\\cmd.exe'
      Image|endswith: '\\powershell.exe'
    `));
    assert.match(reason, /^rule\.yml:7/);
  });
});
