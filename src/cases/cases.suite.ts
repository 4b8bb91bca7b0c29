import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  ConflictError, InputError, NotAllowedError, NotFoundError, systemContext,
  type Clock, type Detection, type EventRecord, type RequestContext, type Role,
} from '../core/index.js';
import { listAudit, migrate, verifyAudit, type Store } from '../store/index.js';
import {
  addComment, addEvidence, addObservable, addTask, caseStats, casesMigrations, createCase, getAlert, getCase, getEvidence, listAlerts, listCases,
  mergeAlertsIntoCase, mergeCases, recordDetections, setAlertStatus, updateCase, updateTask, MAX_ALERT_EVENT_IDS, MAX_EVIDENCE_BYTES,
  type CasesDeps,
} from './index.js';

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(minutes: number): Date {
    this.ms += minutes * 60_000;
    return this.now();
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

export function actor(id: string, roles: Role[], tenant = 'bank-a'): RequestContext {
  return { actor: { id, kind: 'user', roles }, tenant };
}

const SAMPLE = fileURLToPath(new URL('../../../shared/data/events/evtx-attack-samples/Defense Evasion/faxhell_sysmon_7_1_18_3_bindshell_dllhijack.jsonl', import.meta.url));

/** A real Sysmon process-creation event from the shared samples. */
export function sampleEvent(): EventRecord {
  const line = readFileSync(SAMPLE, 'utf8').split('\n').find((l) => l.includes('"EventID":1,') && l.includes('cmd.exe'));
  assert.ok(line, 'the sample event');
  return JSON.parse(line) as EventRecord;
}

let eventSeq = 0;
export function detection(over: Partial<Detection> & { at: string }): Detection {
  eventSeq++;
  return {
    ruleId: 'rule-mimikatz', ruleVersion: 1, ruleTitle: 'Mimikatz Use', level: 'high', techniques: ['T1003.001'], tactics: ['credential-access'],
    author: 'Florian Roth', eventId: `ev-${eventSeq}`, host: 'PC01', user: 'CORP\\alice',
    event: { Computer: 'PC01', IpAddress: `10.0.0.${eventSeq % 250}` }, matchedFields: ['CommandLine'],
    ...over,
  };
}

/**
 * The cases capability against a real database: `open` returns a store on an empty
 * database (SQLite in memory, or a throw-away PostgreSQL schema); `skip` is a written reason.
 */
export function casesStoreSuite(name: string, open: () => Promise<Store>, skip?: string): void {
  describe(`cases on ${name}`, { skip }, () => {
    let store: Store;
    const clock = new TestClock(Date.parse('2026-03-02T09:00:00.000Z'));
    let deps: CasesDeps;
    const pipeline = systemContext('bank-a');
    const alice = actor('alice', ['analyst']);
    const bob = actor('bob', ['analyst']);
    const auditor = actor('audrey', ['auditor']);
    const otherBank = actor('eve', ['analyst'], 'bank-b');

    before(async () => {
      store = await open();
      const report = await migrate(store, [casesMigrations]);
      assert.deepEqual(report.applied.filter((n) => n.startsWith('cases/')), ['cases/0001_alerts', 'cases/0002_cases', 'cases/0003_case_parts']);
      deps = { db: store.db, clock };
    });
    after(async () => {
      await store?.close();
    });

    describe('alerts', () => {
      it('migrates once', async () => {
        assert.deepEqual((await migrate(store, [casesMigrations])).applied, []);
      });

      it('groups one rule on one host and user within 15 minutes into one alert that grows', async () => {
        const now = clock.now();
        const first = await recordDetections(store.db, pipeline, [
          detection({ at: '2026-03-02T08:00:00.000Z', eventId: 'g-1' }),
          detection({ at: '2026-03-02T08:05:00.000Z', eventId: 'g-2', relatedEventIds: ['g-2a'] }),
          detection({ at: '2026-03-02T08:01:00.000Z', eventId: 'g-3', host: 'PC02' }),
        ], now);
        assert.equal(first.created.length, 2);
        assert.equal(first.updated.length, 0);
        const pc01 = first.created.find((a) => a.host === 'pc01')!;
        assert.equal(pc01.detectionCount, 2);
        assert.deepEqual(pc01.eventIds, ['g-1', 'g-2', 'g-2a']);
        assert.equal(pc01.eventCount, 3);
        assert.equal(pc01.firstSeen, '2026-03-02T08:00:00.000Z');
        assert.equal(pc01.lastSeen, '2026-03-02T08:05:00.000Z');
        assert.equal(pc01.status, 'new');
        assert.equal(pc01.author, 'Florian Roth');

        // A later batch: inside the window it grows the alert; past it, a new alert opens.
        const second = await recordDetections(store.db, pipeline, [
          detection({ at: '2026-03-02T08:14:00.000Z', eventId: 'g-4', level: 'critical' }),
          detection({ at: '2026-03-02T08:40:00.000Z', eventId: 'g-5' }),
        ], clock.advance(1));
        assert.equal(second.updated.length, 1);
        assert.equal(second.created.length, 1);
        const grown = second.updated[0]!;
        assert.equal(grown.id, pc01.id);
        assert.equal(grown.detectionCount, 3);
        assert.equal(grown.level, 'critical', 'the highest level wins');
        assert.equal(grown.lastSeen, '2026-03-02T08:14:00.000Z');
        assert.deepEqual((await getAlert(alice, deps, pc01.id)).eventIds, ['g-1', 'g-2', 'g-2a', 'g-4']);
        assert.equal(second.created[0]!.firstSeen, '2026-03-02T08:40:00.000Z');
      });

      it('honours a configured window', async () => {
        const r = await recordDetections(store.db, pipeline, [
          detection({ ruleId: 'rule-window', at: '2026-03-02T07:00:00.000Z' }),
          detection({ ruleId: 'rule-window', at: '2026-03-02T07:00:59.000Z' }),
          detection({ ruleId: 'rule-window', at: '2026-03-02T07:02:00.000Z' }),
        ], clock.now(), { windowMs: 60_000 });
        assert.deepEqual(r.created.map((a) => a.detectionCount), [2, 1]);
      });

      it('counts a redelivered detection once', async () => {
        const d = detection({ ruleId: 'rule-redeliver', at: '2026-03-02T06:00:00.000Z' });
        await recordDetections(store.db, pipeline, [d, d], clock.now());
        const r = await recordDetections(store.db, pipeline, [d], clock.now());
        assert.equal(r.updated.length + r.created.length, 0);
        const [a] = (await listAlerts(alice, deps, { ruleId: 'rule-redeliver' })).items;
        assert.equal(a!.detectionCount, 1);
      });

      it(`keeps ${MAX_ALERT_EVENT_IDS} event ids and counts the rest`, async () => {
        const many = Array.from({ length: 150 }, (_, i) => detection({ ruleId: 'rule-noisy', at: new Date(Date.parse('2026-03-02T05:00:00Z') + i * 1000).toISOString(), eventId: `n-${i}` }));
        const r = await recordDetections(store.db, pipeline, many, clock.now());
        assert.equal(r.created.length, 1);
        const a = await getAlert(alice, deps, r.created[0]!.id);
        assert.equal(a.eventIds.length, MAX_ALERT_EVENT_IDS);
        assert.equal(a.eventIds[0], 'n-0');
        assert.equal(a.eventCount, 150);
        assert.equal(a.detectionCount, 150);
      });

      it('joins the transaction it is given: a rollback leaves no alert and no audit entry', async () => {
        const auditBefore = (await listAudit(store.db, { limit: 1 }))[0]?.seq ?? 0;
        await assert.rejects(
          store.db.transaction().execute(async (tx) => {
            const r = await recordDetections(tx, pipeline, [detection({ ruleId: 'rule-rollback', at: '2026-03-02T04:00:00Z' })], clock.now());
            assert.equal(r.created.length, 1);
            throw new Error('the pipeline failed to store the batch');
          }),
          /failed to store/,
        );
        assert.deepEqual((await listAlerts(alice, deps, { ruleId: 'rule-rollback' })).items, []);
        assert.equal((await listAudit(store.db, { limit: 1 }))[0]?.seq ?? 0, auditBefore);
      });

      it('extracts observables from the real event onto the alert', async () => {
        const r = await recordDetections(store.db, pipeline, [detection({ ruleId: 'rule-obs', at: '2026-03-02T03:00:00Z', event: sampleEvent() })], clock.now());
        const obs = r.created[0]!.observables;
        assert.ok(obs.some((o) => o.type === 'hash' && o.algorithm === 'sha256' && o.value === '3656f37a1c6951ec4496fabb8ee957d3a6e3c276d5a3785476b482c9c0d32ea2'));
        assert.ok(obs.some((o) => o.type === 'user' && o.value === 'NT AUTHORITY\\SYSTEM'));
        const back = await getAlert(alice, deps, r.created[0]!.id);
        assert.deepEqual(back.observables, obs);
      });

      it('writes an audit entry for every created and grown alert, and the chain verifies', async () => {
        const r = await recordDetections(store.db, pipeline, [detection({ ruleId: 'rule-audit', at: '2026-03-02T02:00:00Z' })], clock.now());
        await recordDetections(store.db, pipeline, [detection({ ruleId: 'rule-audit', at: '2026-03-02T02:01:00Z' })], clock.now());
        const entries = await listAudit(store.db, { target: `alert:${r.created[0]!.id}` });
        assert.deepEqual(entries.map((e) => e.action), ['alert.update', 'alert.create']);
        assert.deepEqual(entries[0]!.detail!['detections'], { before: 1, after: 2 });
        assert.equal(entries[1]!.actor, 'system');
        assert.equal((await verifyAudit(store.db)).ok, true);
      });

      it('with audit off (the live pipeline), groups the same but writes no audit entry; hand changes are still audited', async () => {
        const r = await recordDetections(store.db, pipeline, [detection({ ruleId: 'rule-quiet', at: '2026-03-02T03:00:00Z' })], clock.now(), { audit: false });
        await recordDetections(store.db, pipeline, [detection({ ruleId: 'rule-quiet', at: '2026-03-02T03:01:00Z' })], clock.now(), { audit: false });
        const id = r.created[0]!.id;
        assert.equal((await getAlert(alice, deps, id)).detectionCount, 2);
        assert.deepEqual(await listAudit(store.db, { target: `alert:${id}` }), []);
        await setAlertStatus(alice, deps, id, { status: 'acknowledged' });
        assert.deepEqual((await listAudit(store.db, { target: `alert:${id}` })).map((e) => e.action), ['alert.status']);
      });

      it('acknowledges and dismisses by hand; a dismissed alert does not swallow the next detection', async () => {
        const r = await recordDetections(store.db, pipeline, [detection({ ruleId: 'rule-dismiss', at: '2026-03-02T01:00:00Z' })], clock.now());
        const id = r.created[0]!.id;
        assert.equal((await setAlertStatus(alice, deps, id, { status: 'acknowledged', note: 'looking' })).status, 'acknowledged');
        const dismissed = await setAlertStatus(alice, deps, id, { status: 'dismissed', note: 'admin script' });
        assert.equal(dismissed.statusNote, 'admin script');
        const again = await recordDetections(store.db, pipeline, [detection({ ruleId: 'rule-dismiss', at: '2026-03-02T01:02:00Z' })], clock.now());
        assert.equal(again.created.length, 1);
        assert.notEqual(again.created[0]!.id, id);
        await assert.rejects(setAlertStatus(alice, deps, id, { status: 'in_case' }), InputError);
        const audit = await listAudit(store.db, { target: `alert:${id}` });
        assert.deepEqual(audit[0]!.detail!['status'], { before: 'acknowledged', after: 'dismissed' });
      });

      it('lists newest first with filters, and a cursor that does not move when alerts arrive', async () => {
        const base = Date.parse('2026-03-01T00:00:00Z');
        const made = await recordDetections(store.db, pipeline,
          Array.from({ length: 7 }, (_, i) => detection({ ruleId: 'rule-page', host: `page-${i}`, at: new Date(base + i * 3_600_000).toISOString() })), clock.now());
        assert.equal(made.created.length, 7);
        const page1 = await listAlerts(alice, deps, { ruleId: 'rule-page' }, { limit: 3 });
        assert.equal(page1.items.length, 3);
        assert.ok(page1.next);
        await recordDetections(store.db, pipeline, [detection({ ruleId: 'rule-page', host: 'page-new', at: '2026-03-01T12:00:00Z' })], clock.now());
        const page2 = await listAlerts(alice, deps, { ruleId: 'rule-page' }, { limit: 3, cursor: page1.next! });
        const page3 = await listAlerts(alice, deps, { ruleId: 'rule-page' }, { limit: 3, cursor: page2.next! });
        assert.equal(page3.next, null);
        const seen = [...page1.items, ...page2.items, ...page3.items].map((a) => a.host);
        assert.deepEqual(seen, ['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
        assert.equal((await listAlerts(alice, deps, { ruleId: 'rule-page' })).items[0]!.host, 'page-new');
        assert.equal((await listAlerts(alice, deps, { host: 'PAGE-3' })).items.length, 1);
        assert.equal((await listAlerts(alice, deps, { ruleId: 'rule-page', since: '2026-03-01T05:00:00Z' })).items.length, 3);
        assert.ok((await listAlerts(alice, deps, { status: ['dismissed'] })).items.every((a) => a.status === 'dismissed'));
        assert.ok((await listAlerts(alice, deps, { level: ['critical'] })).items.every((a) => a.level === 'critical'));
        await assert.rejects(listAlerts(alice, deps, { status: ['open' as never] }), /status: 'open' is not one of new, acknowledged, in_case, dismissed/);
        await assert.rejects(listAlerts(alice, deps, { since: 'yesterday' }), /since: 'yesterday' is not an ISO 8601 time/);
      });

      it('keeps tenants apart and lets auditors only read', async () => {
        const [a] = (await listAlerts(alice, deps, { ruleId: 'rule-mimikatz' }, { limit: 1 })).items;
        await assert.rejects(getAlert(otherBank, deps, a!.id), NotFoundError);
        assert.deepEqual((await listAlerts(otherBank, deps)).items, []);
        assert.ok((await listAlerts(auditor, deps)).items.length > 0);
        await assert.rejects(setAlertStatus(auditor, deps, a!.id, { status: 'dismissed' }), NotAllowedError);
        await assert.rejects(recordDetections(store.db, auditor, [detection({ at: '2026-03-02T00:00:00Z' })], clock.now()), NotAllowedError);
      });
    });

    describe('cases', () => {
      async function freshAlerts(rule: string, n: number, level: Detection['level'] = 'medium'): Promise<string[]> {
        const r = await recordDetections(store.db, pipeline,
          Array.from({ length: n }, (_, i) => detection({ ruleId: rule, ruleTitle: `Rule ${rule}`, host: `h-${rule}-${i}`, level: i === 0 ? 'critical' : level, at: '2026-03-02T08:00:00Z', event: { ...sampleEvent(), Computer: `h-${rule}-${i}` } })),
          clock.now());
        return r.created.map((a) => a.id);
      }

      it('opens a case from alerts: numbered per tenant, named after them, severity from the highest, alerts in_case, observables joined', async () => {
        clock.set('2026-03-02T10:00:00.000Z');
        const ids = await freshAlerts('c1', 2);
        const c = await createCase(alice, deps, { alertIds: ids });
        assert.equal(c.number, 1);
        assert.equal(c.title, 'Rule c1 on 2 hosts');
        assert.equal(c.severity, 'critical');
        assert.equal(c.state, 'new');
        assert.equal(c.tlp, 'amber');
        assert.equal(c.pap, 'amber');
        assert.deepEqual(c.tags, ['T1003.001']);
        assert.equal(c.alertCount, 2);
        assert.ok(c.alerts.every((a) => a.status === 'in_case' && a.caseId === c.id));
        assert.ok(c.observables.some((o) => o.type === 'host' && o.value === 'h-c1-1' && o.source === 'alert'));
        assert.ok(c.observables.some((o) => o.type === 'hash' && o.algorithm === 'md5'));
        assert.deepEqual(c.timeline.map((e) => e.kind), ['created', 'alerts_merged']);
        const second = await createCase(bob, deps, { title: 'Phishing wave' });
        assert.equal(second.number, 2);
        assert.equal((await createCase(otherBank, deps, { title: 'Other bank' })).number, 1);
        assert.equal((await getCase(alice, deps, '#2')).id, second.id);
        assert.equal((await getCase(alice, deps, String(c.number))).id, c.id);
        await assert.rejects(getCase(otherBank, deps, c.id), NotFoundError);
        const audit = await listAudit(store.db, { target: `case:${c.id}` });
        assert.equal(audit[0]!.action, 'case.create');
        assert.deepEqual((await listAudit(store.db, { target: `alert:${ids[0]}` }))[0]!.detail!['status'], { before: 'new', after: 'in_case' });
      });

      it('refuses bad input with the field named, and alerts of another case', async () => {
        await assert.rejects(createCase(alice, deps, {}), (e: unknown) => e instanceof InputError && e.where === 'title');
        await assert.rejects(createCase(alice, deps, { title: '  ' }), /title: must not be empty/);
        await assert.rejects(createCase(alice, deps, { title: 'x', severity: 'urgent' as never }), /severity: 'urgent' is not one of low, medium, high, critical/);
        await assert.rejects(createCase(alice, deps, { title: 'x', tlp: 'white' as never }), /tlp:/);
        await assert.rejects(createCase(alice, deps, { title: 'x', tags: ['ok', 'line\nbreak'] }), /tags\[1\]: must be one line/);
        await assert.rejects(createCase(alice, deps, { alertIds: ['no-such-alert'] }), /no alert no-such-alert/);
        const ids = await freshAlerts('c2', 1);
        await createCase(alice, deps, { alertIds: ids });
        await assert.rejects(createCase(bob, deps, { alertIds: ids }), (e: unknown) => e instanceof ConflictError && e.code === 'ALERT_IN_OTHER_CASE');
        await assert.rejects(setAlertStatus(alice, deps, ids[0]!, { status: 'dismissed' }), (e: unknown) => e instanceof ConflictError && e.code === 'ALERT_IN_CASE');
        await assert.rejects(createCase(auditor, deps, { title: 'x' }), NotAllowedError);
      });

      it('walks the life of a case: transitions, clocks, tasks, comments, evidence, observables, all on the timeline', async () => {
        clock.set('2026-03-03T00:00:00.000Z');
        const c = await createCase(alice, deps, { title: 'Lateral movement from PC07', description: 'PsExec seen' });
        assert.equal(c.clocks.acknowledgedAt, null);

        clock.advance(12);
        const triaged = await updateCase(bob, deps, c.id, { state: 'triage', assignee: 'bob' });
        assert.equal(triaged.clocks.timeToAcknowledgeMs, 12 * 60_000);
        assert.equal(triaged.assignee, 'bob');
        await assert.rejects(updateCase(bob, deps, c.id, { state: 'contained' }), (e: unknown) =>
          e instanceof ConflictError && e.code === 'CASE_TRANSITION' && /may go to in_progress, resolved, false_positive, closed/.test(e.message));

        clock.advance(1);
        const task = await addTask(bob, deps, c.id, { title: 'Isolate PC07', assignee: 'carol' });
        assert.equal(task.state, 'todo');
        clock.advance(1);
        await updateCase(bob, deps, c.id, { state: 'in_progress', severity: 'high', tags: ['lateral-movement', 'psexec'] });
        clock.advance(5);
        const doing = await updateTask(bob, deps, c.id, task.id, { state: 'doing' });
        assert.equal(doing.doneAt, null);
        clock.advance(5);
        const done = await updateTask(bob, deps, c.id, task.id, { state: 'done' });
        assert.equal(done.doneAt, clock.now().toISOString());
        await assert.rejects(updateTask(bob, deps, c.id, task.id, { state: 'finished' as never }), /state: 'finished' is not one of todo, doing, done/);
        await assert.rejects(updateTask(bob, deps, c.id, 'nope', { state: 'done' }), NotFoundError);

        clock.advance(1);
        const comment = await addComment(bob, deps, c.id, 'PC07 isolated by the network team.\nTicket NET-1234.');
        assert.equal(comment.author, 'bob');
        await assert.rejects(addComment(bob, deps, c.id, '   '), /text: must not be empty/);

        clock.advance(1);
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        const ev = await addEvidence(bob, deps, c.id, { name: 'memdump-excerpt.bin', mediaType: 'Application/Octet-Stream', contentBase64: bytes.toString('base64') });
        assert.equal(ev.size, 256);
        assert.equal(ev.mediaType, 'application/octet-stream');
        assert.equal(ev.sha256, createHash('sha256').update(bytes).digest('hex'));
        const back = await getEvidence(auditor, deps, `#${c.number}`, ev.id);
        assert.ok(back.content.equals(bytes), 'the bytes come back unchanged');
        await assert.rejects(addEvidence(bob, deps, c.id, { name: 'x', mediaType: 'text/plain', contentBase64: 'aGVsbG8*' }), /content_base64: character "\*" at offset 7/);
        await assert.rejects(addEvidence(bob, deps, c.id, { name: 'x', mediaType: 'text/plain', contentBase64: 'aGVsbG8=', sha256: '0'.repeat(64) }), /sha256: the content hashes to/);
        await assert.rejects(addEvidence(bob, deps, c.id, { name: 'x', mediaType: 'not a type', contentBase64: '' }), /media_type:/);
        const tooBig = 'A'.repeat(Math.ceil((MAX_EVIDENCE_BYTES + 3) / 3) * 4);
        await assert.rejects(addEvidence(bob, deps, c.id, { name: 'big', mediaType: 'text/plain', contentBase64: tooBig }), (e: unknown) => e instanceof InputError && e.code === 'EVIDENCE_TOO_LARGE');

        const o = await addObservable(bob, deps, c.id, { type: 'ip', value: '::ffff:203.0.113.5', ioc: true, note: 'C2' });
        assert.deepEqual([o.value, o.ioc, o.source], ['203.0.113.5', true, 'analyst']);
        await assert.rejects(addObservable(bob, deps, c.id, { type: 'hash', value: 'xyz' }), /value: 'xyz' has 3 characters/);
        await assert.rejects(addObservable(bob, deps, c.id, { type: 'mac' as never, value: 'x' }), /type:/);
        const again = await addObservable(bob, deps, c.id, { type: 'ip', value: '203.0.113.5' });
        assert.equal(again.id, o.id, 'the same value is one observable');

        clock.advance(30);
        await updateCase(bob, deps, c.id, { state: 'contained' });
        clock.advance(60);
        const resolved = await updateCase(bob, deps, c.id, { state: 'resolved', summary: 'Contained; credentials rotated.' });
        assert.equal(resolved.clocks.timeToResolveMs, (12 + 1 + 1 + 5 + 5 + 1 + 1 + 30 + 60) * 60_000);
        clock.advance(60 * 24);
        const reopened = await updateCase(alice, deps, c.id, { state: 'triage' });
        assert.equal(reopened.clocks.resolvedAt, null);
        assert.equal(reopened.clocks.timeToAcknowledgeMs, 12 * 60_000, 'acknowledgement is not reset');
        clock.advance(10);
        const closed = await updateCase(alice, deps, c.id, { state: 'closed' });
        assert.equal(closed.clocks.timeToResolveMs, (116 + 60 * 24 + 10) * 60_000);

        const kinds = closed.timeline.map((e) => e.kind);
        assert.deepEqual(kinds, [
          'created', 'state_changed', 'assignee_changed', 'task_added', 'state_changed', 'severity_changed', 'fields_changed', 'task_changed',
          'task_changed', 'comment', 'evidence_added', 'observable_added', 'observable_added', 'state_changed', 'state_changed', 'fields_changed', 'state_changed',
          'state_changed',
        ]);
        const times = closed.timeline.map((e) => e.at);
        assert.deepEqual(times, [...times].sort(), 'newest last');
        assert.equal(closed.timeline.at(-1)!.summary, 'state triage → closed');
        assert.deepEqual(closed.tasks.map((t) => t.state), ['done']);
        assert.equal(closed.comments[0]!.text, 'PC07 isolated by the network team.\nTicket NET-1234.');
        assert.equal(closed.evidence[0]!.name, 'memdump-excerpt.bin');
        assert.equal(closed.summary, 'Contained; credentials rotated.');
        assert.equal((await verifyAudit(store.db)).ok, true);
      });

      it('refuses a stale revision instead of losing an update', async () => {
        const c = await createCase(alice, deps, { title: 'Race' });
        await updateCase(alice, deps, c.id, { title: 'Race (renamed)', revision: c.revision });
        await assert.rejects(updateCase(bob, deps, c.id, { severity: 'low', revision: c.revision }), (e: unknown) => e instanceof ConflictError && e.code === 'CASE_REVISION');
        const unchanged = await updateCase(bob, deps, c.id, { title: 'Race (renamed)' });
        assert.equal(unchanged.revision, c.revision + 1, 'a no-op change is not a revision');
      });

      it('merges alerts into an open case, and refuses a closed one', async () => {
        const c = await createCase(alice, deps, { title: 'Grows' });
        const ids = await freshAlerts('c3', 2);
        const merged = await mergeAlertsIntoCase(alice, deps, c.id, ids);
        assert.equal(merged.alertCount, 2);
        assert.ok(merged.observables.length > 0);
        const twice = await mergeAlertsIntoCase(alice, deps, c.id, ids);
        assert.equal(twice.revision, merged.revision, 'merging again changes nothing');
        const grown = await recordDetections(store.db, pipeline, [detection({ ruleId: 'c3', ruleTitle: 'Rule c3', host: 'h-c3-1', at: '2026-03-02T08:03:00Z', event: { DestinationIp: '198.51.100.77', Computer: 'h-c3-1' } })], clock.now());
        assert.equal(grown.updated[0]!.status, 'in_case');
        assert.ok((await getCase(alice, deps, c.id)).observables.some((o) => o.value === '198.51.100.77'), 'a case alert that grows brings its new observables');
        await updateCase(alice, deps, c.id, { state: 'false_positive' });
        const more = await freshAlerts('c4', 1);
        await assert.rejects(mergeAlertsIntoCase(alice, deps, c.id, more), (e: unknown) => e instanceof ConflictError && e.code === 'CASE_CLOSED');
      });

      it('merges two cases: contents move, the target takes the union, the source closes read-only', async () => {
        const target = await createCase(alice, deps, { title: 'Target', tags: ['a'], tlp: 'green', alertIds: await freshAlerts('c5', 1) });
        const source = await createCase(bob, deps, { title: 'Duplicate', tags: ['b'], tlp: 'red', severity: 'critical', alertIds: await freshAlerts('c6', 2) });
        await addTask(bob, deps, source.id, { title: 'Check proxy logs' });
        await addComment(bob, deps, source.id, 'same actor as the target case');
        await addObservable(bob, deps, source.id, { type: 'domain', value: 'evil.example', ioc: true });
        // Both cases' alerts came from the same process-creation event: they share its hashes, account and paths.
        const related = (await getCase(alice, deps, target.id)).related.find((r) => r.id === source.id);
        assert.ok(related && related.shared >= 6 && related.number === source.number, JSON.stringify(related));
        const merged = await mergeCases(alice, deps, target.id, [`#${source.number}`]);
        assert.ok(!merged.related.some((r) => r.id === source.id), 'the merged shell keeps no observables');
        assert.equal(merged.alertCount, 3);
        assert.deepEqual(merged.tags, ['a', 'b']);
        assert.equal(merged.tlp, 'red');
        assert.ok(merged.tasks.some((t) => t.title === 'Check proxy logs'));
        assert.ok(merged.comments.some((c) => c.text === 'same actor as the target case'));
        assert.ok(merged.observables.some((o) => o.value === 'evil.example' && o.ioc));
        assert.ok(merged.timeline.some((e) => e.kind === 'case_merged' && e.summary === `case #${source.number} merged into this case`));
        const shell = await getCase(alice, deps, source.id);
        assert.equal(shell.state, 'closed');
        assert.equal(shell.mergedInto, target.id);
        assert.equal(shell.alertCount, 0);
        assert.equal(shell.timeline.at(-1)!.kind, 'merged_into');
        await assert.rejects(updateCase(bob, deps, source.id, { title: 'x' }), (e: unknown) => e instanceof ConflictError && e.code === 'CASE_MERGED');
        await assert.rejects(mergeCases(alice, deps, target.id, [target.id]), /cannot be merged into itself/);
        await assert.rejects(mergeCases(alice, deps, target.id, ['no-such-case']), NotFoundError);
      });

      it('lists cases newest first, filtered by state, severity, assignee, tag and text, page by page', async () => {
        const all = await listCases(alice, deps, {}, { limit: 500 });
        const numbers = all.items.map((c) => c.number);
        assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a));
        assert.ok(all.items.every((c) => c.number > 0));
        assert.ok((await listCases(alice, deps, { state: ['closed'] })).items.every((c) => c.state === 'closed'));
        assert.ok((await listCases(alice, deps, { severity: ['critical'] })).items.length >= 1);
        assert.deepEqual((await listCases(alice, deps, { assignee: 'bob' })).items.map((c) => c.title), ['Lateral movement from PC07']);
        assert.ok((await listCases(alice, deps, { assignee: '' })).items.every((c) => c.assignee === null));
        assert.deepEqual((await listCases(alice, deps, { text: 'psexec' })).items.map((c) => c.title), ['Lateral movement from PC07']);
        assert.deepEqual((await listCases(alice, deps, { text: '100%' })).items, [], 'LIKE wildcards in the text match themselves');
        assert.deepEqual((await listCases(alice, deps, { text: '#2' })).items.map((c) => c.number), [2]);
        assert.deepEqual((await listCases(alice, deps, { tag: 'PSEXEC' })).items.map((c) => c.title), ['Lateral movement from PC07']);
        const p1 = await listCases(alice, deps, {}, { limit: 2 });
        await createCase(alice, deps, { title: 'Arrives while paging' });
        const p2 = await listCases(alice, deps, {}, { limit: 2, cursor: p1.next! });
        assert.deepEqual(p2.items.map((c) => c.number), [numbers[2], numbers[3]]);
        await assert.rejects(listCases(alice, deps, { state: ['open' as never] }), /state: 'open'/);
        assert.deepEqual((await listCases(otherBank, deps)).items.map((c) => c.title), ['Other bank']);
      });

      it('reports median and p90 time-to-acknowledge and time-to-resolve over a period', async () => {
        const tenant = actor('sam', ['analyst'], 'bank-stats');
        const sdeps = { db: store.db, clock };
        const start = Date.parse('2026-04-01T00:00:00.000Z');
        for (let i = 1; i <= 10; i++) {
          clock.set(new Date(start + i * 86_400_000).toISOString());
          const c = await createCase(tenant, sdeps, { title: `case ${i}`, severity: i % 2 === 0 ? 'high' : 'low' });
          clock.advance(i); // acknowledged after i minutes
          await updateCase(tenant, sdeps, c.id, { state: 'triage' });
          if (i <= 4) {
            clock.advance(60 * i); // resolved i hours after acknowledgement
            await updateCase(tenant, sdeps, c.id, { state: 'resolved' });
          }
        }
        const s = await caseStats(tenant, sdeps, { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' });
        assert.equal(s.created, 10);
        assert.deepEqual(s.timeToAcknowledge, { count: 10, medianMs: 5.5 * 60_000, p90Ms: 9.1 * 60_000 });
        // TTR of cases 1..4: i minutes + i hours.
        assert.deepEqual(s.timeToResolve, { count: 4, medianMs: 2.5 * 61 * 60_000, p90Ms: Math.round(3.7 * 61 * 60_000) });
        assert.equal(s.byState.triage, 6);
        assert.equal(s.byState.resolved, 4);
        assert.deepEqual(s.bySeverity, { low: 5, medium: 0, high: 5, critical: 0 });
        const early = await caseStats(tenant, sdeps, { from: '2026-04-01T00:00:00Z', to: '2026-04-03T12:00:00Z' });
        assert.equal(early.created, 2);
        await assert.rejects(caseStats(tenant, sdeps, { from: '2026-05-01T00:00:00Z', to: '2026-04-01T00:00:00Z' }), /from \(.*\) must be before to/);
        assert.equal((await caseStats(actor('a', ['auditor'], 'bank-stats'), sdeps, { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' })).created, 10);
      });

      it('leaves an audit chain that still verifies', async () => {
        const v = await verifyAudit(store.db);
        assert.equal(v.ok, true);
        const actions = new Set((await listAudit(store.db, { limit: 1000 })).map((e) => e.action));
        for (const a of ['alert.create', 'alert.update', 'alert.status', 'alert.merge', 'alert.move', 'case.create', 'case.update', 'case.merge', 'case.alerts.merge',
          'case.task.create', 'case.task.update', 'case.comment', 'case.evidence.add', 'case.observable.add']) {
          assert.ok(actions.has(a), a);
        }
      });
    });
  });
}
