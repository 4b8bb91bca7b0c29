/**
 * TLP markings (1.0 and 2.0) by their fixed marking-definition ids, and who may read an
 * object version: the rule the store query enforces.
 */
export type TlpLevel = 'none' | 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';

/** The OASIS ids; TLP 1.0 WHITE reads as CLEAR. */
export const TLP_MARKINGS: Readonly<Record<string, TlpLevel>> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'clear',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
  'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487': 'clear',
  'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb': 'green',
  'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421': 'amber',
  'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003': 'amber+strict',
  'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1': 'red',
};

/** The TLP 2.0 marking id of each level, for objects we mark ourselves. */
export const TLP2_MARKING_ID: Readonly<Record<Exclude<TlpLevel, 'none'>, string>> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

const RANK: Readonly<Record<TlpLevel, number>> = { none: 0, clear: 1, green: 2, amber: 3, 'amber+strict': 4, red: 5 };

/** The most restrictive TLP among an object's object-level markings. */
export function tlpOf(obj: Readonly<Record<string, unknown>>): TlpLevel {
  const refs = obj['object_marking_refs'];
  let level: TlpLevel = 'none';
  if (!Array.isArray(refs)) return level;
  for (const ref of refs) {
    const l = typeof ref === 'string' ? TLP_MARKINGS[ref] : undefined;
    if (l !== undefined && RANK[l] > RANK[level]) level = l;
  }
  return level;
}

/** Custom properties (ours) that narrow who reads an object at the hub. */
export const RECIPIENTS_PROPERTY = 'x_lianfang_recipients';
export const SHARING_GROUPS_PROPERTY = 'x_lianfang_sharing_groups';
export const ANONYMOUS_PROPERTY = 'x_lianfang_anonymous';

export interface Audience {
  /** Every reader of the collection may see it. */
  readonly open: boolean;
  /** Otherwise only these: `member:NAME` or `group:NAME`. */
  readonly principals: readonly string[];
}

/**
 * Who may read a version, beyond the collection's readers rule:
 * - TLP:RED reaches only its named recipients (`x_lianfang_recipients`: member names, their
 *   identity ids, or `group:NAME`) and the member who posted it — nobody else, even with
 *   read rights on the collection; RED without recipients stays with its poster.
 * - `x_lianfang_sharing_groups` narrows any other object to those groups' members.
 * - Everything else is open to the collection's readers. AMBER and AMBER+STRICT are readable
 *   by each receiving member; a member's own instance never pushes onward what it received.
 * `memberOfIdentity` maps an identity id to a member name (unknown ids are dropped).
 */
export function audienceOf(obj: Readonly<Record<string, unknown>>, postedBy: string, memberOfIdentity: (identityId: string) => string | undefined): Audience {
  const tlp = tlpOf(obj);
  const names = (prop: string): string[] => {
    const v = obj[prop];
    if (!Array.isArray(v)) return [];
    const out: string[] = [];
    for (const x of v) {
      if (typeof x !== 'string' || x.length === 0) continue;
      if (x.startsWith('group:')) out.push(x);
      else if (x.startsWith('identity--')) {
        const m = memberOfIdentity(x);
        if (m !== undefined) out.push(`member:${m}`);
      } else out.push(`member:${x}`);
    }
    return out;
  };
  const own = postedBy ? [`member:${postedBy}`] : [];
  if (tlp === 'red') return { open: false, principals: unique([...own, ...names(RECIPIENTS_PROPERTY)]) };
  const groups = names(SHARING_GROUPS_PROPERTY).map((p) => (p.startsWith('member:') ? `group:${p.slice(7)}` : p));
  if (groups.length > 0) return { open: false, principals: unique([...own, ...groups]) };
  return { open: true, principals: [] };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
