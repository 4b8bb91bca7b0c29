import { Command, InvalidArgumentError, Option } from 'commander';
import { registerVaultCommands } from './vault.js';
import { SEVERITIES as LEVELS } from '../core/index.js';

/**
 * A command's action, its module loaded only when that command runs: a `lianfang vault`
 * drill step should not start by loading the Sigma engine, the server and the intel store
 * (0.8 s of CPU on a 2-core machine, against 0.15 s for the vault alone).
 */
function lazy<M>(load: () => Promise<M>, name: keyof M): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const action = (await load())[name] as (...a: unknown[]) => unknown;
    await action(...args);
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function level(value: string): string {
  const v = value.toLowerCase();
  const short: Record<string, string> = { info: 'informational', crit: 'critical', med: 'medium' };
  const full = short[v] ?? v;
  if (!(LEVELS as readonly string[]).includes(full)) throw new InvalidArgumentError(`use one of ${LEVELS.join(', ')}`);
  return full;
}

// `lianfang hunt … | head` closes the pipe early: stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command();
program
  .name('lianfang')
  .description('Lianfang (聯防): Sigma detection, intel sharing and resilience evidence for the financial sector')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('hunt')
  .description('Run Sigma rules over Windows event logs (.evtx, .jsonl/.json, .xml) and print a timeline of detections')
  .argument('<paths...>', 'event files or folders (searched recursively)')
  .option('-r, --rules <path>', 'rule file or folder (repeatable; default: the rules folder `lianfang rules update` fills, shown by `lianfang doctor`)', collect)
  .addOption(new Option('-m, --min-level <level>', 'report only detections at or above this level').argParser(level).default('informational'))
  .option('--ignore-logsource', 'evaluate every rule against every event (for logs whose source is unknown)')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'jsonl', 'csv']).default('table'))
  .option('-o, --out <file>', 'write detections to a file instead of standard output')
  .option('--placeholders <file>', 'YAML file of values for |expand placeholders (name: [values])')
  .option('-t, --threads <n>', 'worker threads (default: one per core for inputs of 256 MiB or more)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of 1 or more');
    return n;
  })
  .option('--exclude-status <list>', 'leave out rules with these statuses (comma-separated)', 'deprecated,unsupported')
  .option('--timeline-start <time>', 'only events at or after this time (ISO 8601, e.g. 2024-01-31T00:00:00Z)')
  .option('--timeline-end <time>', 'only events at or before this time (ISO 8601)')
  .option('--no-color', 'no colours in the table')
  .option('-q, --quiet', 'no progress bar and no summary on standard error')
  .action(lazy(() => import('./hunt.js'), 'huntCommand'));

const rules = program.command('rules').description('Sigma rule corpus: check, update, logsource mapping');
rules
  .command('check')
  .description('Parse and compile rules; list each one that fails with file, line and reason')
  .argument('[paths...]', 'rule files or folders (default: the rules folder)')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(lazy(() => import('./rules.js'), 'rulesCheckCommand'));
rules
  .command('update')
  .description("Download SigmaHQ's latest release into the rules folder, verified (digest, archive, every rule parses)")
  .option('--from <url-or-file>', 'release archive URL, GitHub release API URL, or local .zip/.tar.gz')
  .option('--dest <dir>', 'rules folder (default: the per-user rules folder, shown by `lianfang doctor`)')
  .option('--sha256 <hex>', 'expected SHA-256 of the archive')
  .action(lazy(() => import('./rules.js'), 'rulesUpdateCommand'));
rules
  .command('import')
  .description('Load Sigma rules into the store (enabled); a changed rule gets a new version')
  .argument('<paths...>', 'rule files or folders')
  .option('--data <dir>', 'data folder', './data')
  .option('--store <url>', 'postgres://… instead of SQLite in the data folder')
  .action(lazy(() => import('./admin.js'), 'rulesImportCommand'));
rules
  .command('logsources')
  .description('Print the Sigma logsource → Windows channel / event id mapping the engine uses')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(lazy(() => import('./rules.js'), 'rulesLogsourcesCommand'));

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number from 0 to 65535');
  return n;
}

program
  .command('serve')
  .description('Run the live SOC: syslog and HTTP ingest, real-time Sigma detection, alerts and cases, the console and REST API')
  .option('--data <dir>', 'data folder (SQLite database and spool)', './data')
  .option('--http <port>', 'HTTP port (console, API, metrics)', port, 8080)
  .option('--host <address>', 'address to listen on (0.0.0.0 to receive from the network)', '127.0.0.1')
  .option('--syslog-udp <port>', 'syslog over UDP', port, 5514)
  .option('--no-syslog-udp', 'no UDP listener')
  .option('--syslog-tcp <port>', 'syslog over TCP (RFC 6587 octet counting or newline framing)', port, 5514)
  .option('--no-syslog-tcp', 'no TCP listener')
  .option('--syslog-tls <port>', 'syslog over TLS (RFC 5425); needs --tls-cert and --tls-key', port)
  .option('--tls-cert <file>', 'PEM certificate for --syslog-tls')
  .option('--tls-key <file>', 'PEM private key for --syslog-tls')
  .option('--store <url>', 'postgres://… instead of SQLite in the data folder')
  .option('--import-rules <path>', 'import Sigma rules from this file or folder before starting (repeatable; unchanged rules are skipped)', collect)
  .option('--timezone <zone>', 'zone for syslog times that carry none (RFC 3164), e.g. Asia/Taipei', 'UTC')
  .option('--vault <file>', 'show this vault (sites, snapshots, verify and drill evidence) in the console (repeatable)', collect)
  .option('--hub', 'run as the sector hub (F-ISAC): members connect to its TAXII 2.1 collections')
  .option('--hub-url <url>', "connect this member to a hub: the hub's TAXII discovery URL (…/taxii2/)")
  .option('--hub-token <token>', 'the bearer token `lianfang hub member add` printed at the hub (or LIANFANG_HUB_TOKEN)')
  .option('--hub-user <name>', 'HTTP Basic member name instead of a token (password: --hub-password or LIANFANG_HUB_PASSWORD)')
  .option('--hub-password <password>', 'HTTP Basic password for --hub-user')
  .option('--hub-poll <ms>', 'how often to pull from and push to the hub, in milliseconds', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 100) throw new InvalidArgumentError('a whole number of milliseconds, 100 or more');
    return n;
  }, 2000)
  .option('--hub-share-collection <id>', 'the hub collection sightings and shares go to (default: the first one this member may write)')
  .option('--sector-members <n>', 'hub: distinct members whose sightings of one indicator make a sector alert (default 2)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 2 || n > 1000) throw new InvalidArgumentError('a whole number of members from 2 to 1000');
    return n;
  })
  .option('--sector-window <hours>', 'hub: the window those sightings must fall in, in hours (default 24)', (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > 24 * 366) throw new InvalidArgumentError('a number of hours above 0 and at most a year');
    return n;
  })
  .action(lazy(() => import('./serve.js'), 'serveCommand'));

program
  .command('token')
  .description('API tokens')
  .command('create')
  .description('Create an API token and print it (stored hashed; shown only now)')
  .requiredOption('--role <role>', 'admin, analyst, auditor, member-connector or supervisor')
  .option('--name <name>', 'who or what the token is for (shown in the audit log)')
  .option('--data <dir>', 'data folder', './data')
  .option('--store <url>', 'postgres://… instead of SQLite in the data folder')
  .action(lazy(() => import('./admin.js'), 'tokenCreateCommand'));

program
  .command('audit')
  .description('The hash-chained audit log')
  .command('verify')
  .description('Recompute the chain; name the first entry that was altered, removed or forged (exit 1)')
  .option('--data <dir>', 'data folder', './data')
  .option('--store <url>', 'postgres://… instead of SQLite in the data folder')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(lazy(() => import('./admin.js'), 'auditVerifyCommand'));

const intel = program.command('intel').description('The sector intel hub: STIX patterns, collections, TAXII');
const intelPattern = intel.command('pattern').description('STIX 2.1 patterns for scripts: one JSON answer on standard output per line of standard input');
intelPattern
  .command('check')
  .description('Read one STIX 2.1 pattern per line; print {"valid":true} or {"valid":false,"error":"… at column n"} for each (a blank line is invalid)')
  .action(lazy(() => import('./intel-pattern.js'), 'intelPatternCheckCommand'));
intelPattern
  .command('match')
  .description('Read {"pattern":"…","observed":[observed-data and their SCOs]} per line; print {"match":true|false} or {"error":"…"} for each')
  .action(lazy(() => import('./intel-pattern.js'), 'intelPatternMatchCommand'));
intel
  .command('collection')
  .description('TAXII collections')
  .command('create')
  .description("Create a TAXII collection and print its id; members not named may neither see nor use it")
  .argument('<title>', 'the collection title')
  .option('--read <names...>', "members (or group:NAME, or '*' for every member) who may read it")
  .option('--write <names...>', "members (or group:NAME, or '*') who may add objects")
  .option('--description <text>', 'what the collection is for')
  .option('--alias <alias>', 'a short name')
  .option('--anonymous', "objects posted here reach other members without created_by_ref (the hub keeps who posted)")
  .option('--data <dir>', 'data folder', './data')
  .option('--store <url>', 'postgres://… instead of SQLite in the data folder')
  .action(lazy(() => import('./hub.js'), 'intelCollectionCreateCommand'));
intel
  .command('import')
  .description('Import STIX 2.1 bundles, MISP events and feeds, or TAXII 2.1 collections into a local collection; prints per source what was stored')
  .argument('<sources...>', 'a .json file (STIX bundle or object, or MISP event), a MISP feed folder (manifest.json), a folder of .json files, or a TAXII 2.1 discovery or API root URL')
  .requiredOption('--collection <id-or-alias>', 'the local collection the objects go into')
  .option('--create', 'create that collection (readable by staff only) if it does not exist')
  .option('--taxii-collection <id>', 'the TAXII collection to pull (repeatable; default: every one the login may read)', collect)
  .option('--user <name>', 'HTTP Basic user for a TAXII source (password: --password or LIANFANG_TAXII_PASSWORD)')
  .option('--password <password>', 'HTTP Basic password for --user')
  .option('--token <token>', 'bearer token for a TAXII source (or LIANFANG_TAXII_TOKEN)')
  .option('--data <dir>', 'data folder', './data')
  .option('--store <url>', 'postgres://… instead of SQLite in the data folder')
  .action(lazy(() => import('./intel-import.js'), 'intelImportCommand'));

const hub = program.command('hub').description('The sector hub (F-ISAC): its members');
hub
  .command('member')
  .description('Hub members')
  .command('add')
  .description('Add a member with HTTP Basic credentials (its name and password) and print its bearer token')
  .argument('<name>', 'the member name (letters, digits, . _ -)')
  .requiredOption('--password <password>', 'its HTTP Basic password (12 characters or more)')
  .option('--group <name>', 'a sharing group it belongs to (repeatable)', collect)
  .option('--data <dir>', 'data folder', './data')
  .option('--store <url>', 'postgres://… instead of SQLite in the data folder')
  .action(lazy(() => import('./hub.js'), 'hubMemberAddCommand'));

registerVaultCommands(program);

program
  .command('doctor')
  .description('Check that this installation can run: Node, native modules, rules folder')
  .action(lazy(() => import('./doctor.js'), 'doctorCommand'));

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`lianfang: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
