/** Something an import could not take, and where: a file, an event, an attribute. */
export interface ImportProblem {
  readonly where: string;
  readonly reason: string;
}

export interface BundleRead {
  /** The objects as found; the store validates each one. */
  readonly objects: unknown[];
  readonly problems: ImportProblem[];
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * The STIX objects in a file's text: a bundle's `objects`, or a lone STIX object (anything
 * with a `type` and an `id`). Never throws: text that is not JSON, JSON that is not a
 * bundle, or a bundle whose `objects` is not a list is a problem naming `where`.
 * @example readStixBundle(readFileSync(f, 'utf8'), f).objects
 */
export function readStixBundle(text: string, where: string): BundleRead {
  let v: unknown;
  try {
    v = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    return { objects: [], problems: [{ where, reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const fail = (reason: string): BundleRead => ({ objects: [], problems: [{ where, reason }] });
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(`not a STIX bundle or object: the file holds ${kindOf(v)}`);
  const o = v as Record<string, unknown>;
  const type = Object.hasOwn(o, 'type') ? o['type'] : undefined;
  if (type === 'bundle') {
    const objects = Object.hasOwn(o, 'objects') ? o['objects'] : undefined;
    if (objects === undefined) return { objects: [], problems: [] };
    if (!Array.isArray(objects)) return fail(`the bundle's 'objects' must be a list; got ${kindOf(objects)}`);
    // STIX 2.0 put spec_version on the bundle; its objects lack the 2.1 one and will not validate.
    const problems = o['spec_version'] === '2.0' ? [{ where, reason: 'a STIX 2.0 bundle: its objects are not STIX 2.1 and the store refuses them' }] : [];
    return { objects, problems };
  }
  if (typeof type === 'string' && typeof o['id'] === 'string') return { objects: [o], problems: [] };
  if (Object.hasOwn(o, 'Event')) return fail(`a MISP event, not STIX`);
  if (type === undefined) return fail(`not a STIX bundle or object: it has no 'type'`);
  return fail(`not a STIX bundle or object: 'type' is ${typeof type === 'string' ? `'${type.slice(0, 60)}' but there is no 'id'` : kindOf(type)}`);
}
