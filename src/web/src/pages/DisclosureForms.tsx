import { useState, type FormEvent } from 'react';
import type { Disclosure, DisclosureState, IntelMember } from '../api/types.js';
import { ErrorNote } from '../components/feedback.js';
import {
  DEFAULT_EMBARGO_DAYS, EMPTY_FILING, EMPTY_MOVE, fileBody, localInputOf, MOVE_VERBS, transitionBody, type FileForm, type MoveForm,
} from '../intel/disclosures.js';
import { useApi } from '../session.js';
import { usePoll } from '../usePoll.js';

interface FileProps {
  /** Staff file for a researcher; a member files its own. */
  readonly staff: boolean;
  readonly onFiled: (d: Disclosure) => void;
  readonly onCancel: () => void;
}

/** Files a vulnerability report (POST /api/v1/intel/disclosures); what the server refuses is shown as it says it. */
export function FileDisclosureForm({ staff, onFiled, onCancel }: FileProps) {
  const api = useApi();
  const [form, setForm] = useState<FileForm>(EMPTY_FILING);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof FileForm) => (e: { target: { value: string } }): void => setForm((f) => ({ ...f, [key]: e.target.value }));
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const d = await api.post<Disclosure>('/api/v1/intel/disclosures', fileBody(form));
      setForm(EMPTY_FILING);
      onFiled(d);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="disclosure-form" aria-label="File a disclosure" onSubmit={(e) => void submit(e)}>
      <h2>File a disclosure 漏洞通報</h2>
      <p className="muted small-print">
        {staff
          ? 'Filing for a researcher: name them and how to reach them under “Reported by”; they stay the reporter of record.'
          : 'Your organisation files this report; name who found it under “Reported by”.'}{' '}
        The hub triages it, routes it to the vendor and the members who run the product under an embargo, and publishes it when the embargo ends.
      </p>
      <div className="fields">
        <label className="wide">Title <input value={form.title} onChange={set('title')} required maxLength={300} /></label>
        <label>Vendor <input value={form.vendor} onChange={set('vendor')} required maxLength={200} /></label>
        <label>Product <input value={form.product} onChange={set('product')} required maxLength={200} /></label>
        <label>Affected versions <input value={form.affectedVersions} onChange={set('affectedVersions')} placeholder="< 3.4" maxLength={500} /></label>
        <label>CVE <input value={form.cve} onChange={set('cve')} placeholder="CVE-2026-12345" /></label>
        <label>CVSS base score <input type="number" min={0} max={10} step={0.1} value={form.cvss} onChange={set('cvss')} /></label>
        <label className="wide">Reported by <input value={form.reporter} onChange={set('reporter')} required maxLength={500} placeholder="name <contact>" /></label>
        <label className="wide">Description <textarea rows={5} value={form.description} onChange={set('description')} required /></label>
      </div>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Filing…' : 'File'}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
      <ErrorNote error={error} prefix="Could not file the disclosure" />
    </form>
  );
}

interface MoveProps {
  readonly d: Disclosure;
  readonly to: DisclosureState;
  readonly onDone: () => void;
  readonly onCancel: () => void;
}

/**
 * One move of a disclosure (POST …/transition) with the fields it takes: routing names the
 * members and the vendor's contact and sets the embargo's end; "fixed" names the fixing
 * version; every move can carry a note for the history.
 */
export function DisclosureMoveForm({ d, to, onDone, onCancel }: MoveProps) {
  const api = useApi();
  const [form, setForm] = useState<MoveForm>(() => (to === 'routed' ? { ...EMPTY_MOVE, embargo: localInputOf(Date.now() + DEFAULT_EMBARGO_DAYS * 86_400_000) } : EMPTY_MOVE));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const verb = MOVE_VERBS[to];
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post<Disclosure>(`/api/v1/intel/disclosures/${encodeURIComponent(d.id)}/transition`, transitionBody(to, form));
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form className="disclosure-form move" aria-label={`${verb} ${d.number}`} onSubmit={(e) => void submit(e)}>
      {to === 'routed' ? <RouteFields form={form} onChange={setForm} /> : null}
      {to === 'fixed' ? (
        <label>Fixed in version <input value={form.fixedVersion} onChange={(e) => setForm({ ...form, fixedVersion: e.target.value })} required maxLength={200} /></label>
      ) : null}
      <label>Note <span className="muted">(goes into the history)</span><textarea rows={2} value={form.note} onChange={(e) => setForm({ ...form, note: e.target.value })} /></label>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>{busy ? `${verb}…` : verb}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
      <ErrorNote error={error} prefix={`Could not ${verb.toLowerCase()} ${d.number}`} />
    </form>
  );
}

function RouteFields({ form, onChange }: { form: MoveForm; onChange: (f: MoveForm) => void }) {
  const api = useApi();
  const members = usePoll((signal) => api.get<{ items: IntelMember[] }>('/api/v1/intel/members', undefined, signal), 0, 'intel-members');
  const items = members.data?.items;
  const toggle = (name: string, on: boolean): void =>
    onChange({ ...form, recipients: on ? [...form.recipients, name] : form.recipients.filter((r) => r !== name) });
  return (
    <>
      <fieldset>
        <legend>Recipients: the members who run the product</legend>
        <ErrorNote error={members.error} prefix="Could not list the members" />
        {items?.length === 0 ? <p className="muted small-print">The hub has no members yet: route to the vendor contact alone.</p> : null}
        {items?.map((m) => (
          <label key={m.name} className="inline">
            <input type="checkbox" checked={form.recipients.includes(m.name)} onChange={(e) => toggle(m.name, e.target.checked)} /> {m.name}
          </label>
        ))}
      </fieldset>
      <label>Vendor contact <input value={form.vendorContact} onChange={(e) => onChange({ ...form, vendorContact: e.target.value })} placeholder="psirt@vendor.example" /></label>
      <label>
        Embargo until <span className="muted">(your time; published then, fixed or not)</span>
        <input type="datetime-local" value={form.embargo} onChange={(e) => onChange({ ...form, embargo: e.target.value })} required />
      </label>
    </>
  );
}
