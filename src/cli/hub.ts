import { systemContext } from '../core/index.js';
import { addMember, createCollection } from '../intel/index.js';
import { createToken, openDataStore } from '../server/index.js';

interface DataOptions {
  readonly data: string;
  readonly store?: string;
}

/**
 * `lianfang hub member add NAME --password PW`: a hub member with HTTP Basic credentials;
 * prints the member's bearer token (member-connector), the only time it is shown.
 */
export async function hubMemberAddCommand(name: string, opts: DataOptions & { password: string; group?: string[] }): Promise<void> {
  const store = await openDataStore(opts.data, opts.store);
  try {
    const ctx = systemContext();
    const member = await addMember(store.db, ctx, name, opts.password, opts.group ?? []);
    const { token } = await createToken(store.db, ctx, 'member-connector', member.name);
    process.stdout.write(`${token}\n`);
    process.stderr.write(`member ${member.name} added (identity ${member.identityId}${member.groups.length ? `, groups ${member.groups.join(', ')}` : ''}); the line above is its bearer token\n`);
  } finally {
    await store.close();
  }
}

/** `lianfang intel collection create TITLE --read NAME... --write NAME...`: prints the new collection's id. */
export async function intelCollectionCreateCommand(
  title: string,
  opts: DataOptions & { read?: string[]; write?: string[]; description?: string; alias?: string; anonymous?: boolean },
): Promise<void> {
  const store = await openDataStore(opts.data, opts.store);
  try {
    const c = await createCollection(store.db, systemContext(), {
      title,
      readers: opts.read ?? [],
      writers: opts.write ?? [],
      ...(opts.description ? { description: opts.description } : {}),
      ...(opts.alias ? { alias: opts.alias } : {}),
      anonymous: opts.anonymous === true,
    });
    process.stdout.write(`${c.id}\n`);
  } finally {
    await store.close();
  }
}
