import { checkRules, defaultRulesDir, describeMappings, updateRules } from '../detect/index.js';

export function rulesCheckCommand(paths: string[], flags: { format: 'text' | 'json' }): void {
  const report = checkRules(paths.length > 0 ? paths : [defaultRulesDir()]);
  if (flags.format === 'json') {
    process.stdout.write(JSON.stringify({ total: report.total, compiled: report.compiled, failed: report.failed }, null, 2) + '\n');
  } else {
    for (const f of report.failed) process.stdout.write(`${f.file}:${f.line}: ${f.reason}\n`);
    const pct = report.total ? ((100 * report.compiled) / report.total).toFixed(2) : '0';
    process.stdout.write(
      `${report.compiled} of ${report.total} rules compiled (${pct} %): ${report.byKind.rules} detection, ` +
        `${report.byKind.correlations} correlation, ${report.byKind.filters} filter rules; ${report.failed.length} failed\n`,
    );
  }
  process.exitCode = report.failed.length > 0 ? 1 : 0;
}

export async function rulesUpdateCommand(flags: { from?: string; dest?: string; sha256?: string }): Promise<void> {
  const dest = flags.dest ?? defaultRulesDir();
  const tty = process.stderr.isTTY === true;
  const result = await updateRules({
    dest,
    from: flags.from,
    sha256: flags.sha256,
    onProgress: tty
      ? (p) => process.stderr.write(`\r${p.phase} ${p.total ? `${Math.round((100 * p.done) / p.total)} %` : p.done}   `)
      : undefined,
  });
  if (tty) process.stderr.write('\n');
  process.stdout.write(
    `Installed ${result.ruleFiles} rule files into ${result.dest}${result.version ? ` (${result.version})` : ''}\n` +
      `  from ${result.source}\n  sha256 ${result.sha256}\n` +
      `  ${result.added} added, ${result.changed} changed, ${result.removed} removed, ${result.rejected.length} rejected\n`,
  );
  for (const r of result.rejected.slice(0, 20)) process.stdout.write(`  rejected ${r.path}: ${r.reason}\n`);
}

export function rulesLogsourcesCommand(flags: { format: 'text' | 'json' }): void {
  const rows = describeMappings();
  if (flags.format === 'json') {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  for (const r of rows) {
    const name = [r.product, r.category ?? r.service].filter(Boolean).join('/');
    const targets = r.targets
      .map((t) => `${t.channels.join('|') || '*'}:${t.eventIds.join(',') || '*'}${Object.keys(t.fieldMap).length ? ' (renames)' : ''}`)
      .join('  ');
    process.stdout.write(`${name.padEnd(48)} ${targets}\n`);
  }
}
