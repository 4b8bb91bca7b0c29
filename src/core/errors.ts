/**
 * Domain errors with stable codes. They know nothing about HTTP; the server maps them to
 * statuses in one place.
 */
export type ErrorCategory = 'input' | 'not_found' | 'conflict' | 'not_allowed' | 'technical';

export class LianfangError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;

  constructor(code: string, message: string, category: ErrorCategory, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.category = category;
  }
}

/** Bad input from a user, a file or a peer. `where` says precisely where (file:line, offset…). */
export class InputError extends LianfangError {
  readonly where: string | undefined;
  constructor(code: string, message: string, where?: string, options?: { cause?: unknown }) {
    super(code, where ? `${where}: ${message}` : message, 'input', options);
    this.where = where;
  }
}

export class NotFoundError extends LianfangError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'not_found', options);
  }
}

export class ConflictError extends LianfangError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'conflict', options);
  }
}

export class NotAllowedError extends LianfangError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'not_allowed', options);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
