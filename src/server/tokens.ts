import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { InputError, LianfangError, newId, type Actor, type RequestContext, type Role } from '../core/index.js';
import { appendAudit, type Database, type MigrationSet } from '../store/index.js';

/**
 * API tokens: `lf_<id>_<secret>`. Only a SHA-256 of the secret is stored, so a copy of the
 * database gives nobody a working token.
 */
export const tokenMigrations: MigrationSet = {
  'server/0001_api_tokens': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('secret_sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('role', 'varchar(40)', (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('revoked_at', 'varchar(40)')
        .execute();
    },
  },
};

interface TokenTable {
  id: string;
  secret_sha256: string;
  role: string;
  name: string;
  tenant: string;
  created_at: string;
  revoked_at: string | null;
}

type TokenDb = Kysely<Database & { api_tokens: TokenTable }>;

export const ROLES: readonly Role[] = ['admin', 'analyst', 'auditor', 'member-connector', 'supervisor'];

export class UnauthenticatedError extends LianfangError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message, 'not_allowed');
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Makes a token and returns it in clear, the only time it is ever seen. */
export async function createToken(db: Kysely<Database>, ctx: RequestContext, role: string, name: string, now: Date = new Date()): Promise<{ id: string; token: string }> {
  if (!ROLES.includes(role as Role)) throw new InputError('BAD_ROLE', `role must be one of ${ROLES.join(', ')}; got '${role}'`, 'role');
  const id = newId().replace(/-/g, '').slice(0, 16);
  const secret = randomBytes(24).toString('base64url');
  await (db as unknown as TokenDb).transaction().execute(async (tx) => {
    await tx.insertInto('api_tokens').values({ id, secret_sha256: sha256(secret), role, name, tenant: ctx.tenant, created_at: now.toISOString(), revoked_at: null }).execute();
    await appendAudit(tx as unknown as Kysely<Database>, ctx, { action: 'token.create', target: `token:${id}`, detail: { role, name } }, now);
  });
  return { id, token: `lf_${id}_${secret}` };
}

/**
 * The request context a bearer token stands for. Tokens are checked against their hash in
 * constant time; a small cache spares the database on every request of a busy console.
 */
export class TokenAuthenticator {
  private readonly cache = new Map<string, { ctx: RequestContext; until: number }>();

  constructor(private readonly db: Kysely<Database>) {}

  async contextOf(authorization: string | undefined): Promise<RequestContext> {
    if (!authorization) throw new UnauthenticatedError('an API token is required: Authorization: Bearer <token>');
    const m = /^Bearer (lf_[0-9a-f]{16}_[A-Za-z0-9_-]{32})$/.exec(authorization.trim());
    if (!m) throw new UnauthenticatedError('the Authorization header is not a Lianfang bearer token');
    const token = m[1]!;
    const hit = this.cache.get(token);
    if (hit && hit.until > Date.now()) return hit.ctx;
    const [, id, secret] = /^lf_([0-9a-f]{16})_(.+)$/.exec(token)!;
    const row = await (this.db as unknown as TokenDb).selectFrom('api_tokens').selectAll().where('id', '=', id!).executeTakeFirst();
    const ok = row !== undefined && row.revoked_at === null && timingSafeEqual(Buffer.from(row.secret_sha256, 'hex'), Buffer.from(sha256(secret!), 'hex'));
    if (!ok) throw new UnauthenticatedError('the API token is unknown or revoked');
    const actor: Actor = { id: `token:${row.name}`, kind: 'token', roles: [row.role as Role] };
    const ctx: RequestContext = { actor, tenant: row.tenant };
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(token, { ctx, until: Date.now() + 30_000 });
    return ctx;
  }

  forget(): void {
    this.cache.clear();
  }
}
