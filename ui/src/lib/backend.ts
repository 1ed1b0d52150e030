// The UI's one way to reach the Rust core (`Desk`). Two implementations of one interface: Tauri
// IPC inside the desktop app, and HTTP to the loopback dev bridge in a browser (Playwright,
// `npm run dev`). Components never know which one they talk to.

import type { DeskCall } from './generated/DeskCall';
import type { ErrorBody } from './generated/ErrorBody';
import type { ErrorCode } from './generated/ErrorCode';

/** An error from Desk. Branch on `code` (generated from Rust's `ErrorCode`), never on `message`. */
export class DeskError extends Error {
  readonly code: ErrorCode;
  /** What the server added, such as `{ field }` for a refused value. */
  readonly details: unknown;

  constructor(body: ErrorBody) {
    super(body.message);
    this.code = body.code;
    this.details = body.details ?? null;
  }
}

/** Whether `error` is a Desk error with this code. */
export function isDeskError(error: unknown, code: ErrorCode): error is DeskError {
  return error instanceof DeskError && error.code === code;
}

export interface Backend {
  /** Sends one call and returns its reply as JSON; `desk.ts` gives it its type. */
  call(call: DeskCall): Promise<unknown>;
  /** Calls `listener` when something may have changed (tray action, sync); returns an unsubscribe. */
  onChange(listener: () => void): () => void;
  /** The server URL to offer on the sign-in form. */
  defaultServer(): Promise<string>;
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value;
}

class TauriBackend implements Backend {
  async call(call: DeskCall): Promise<unknown> {
    const { invoke } = await import('@tauri-apps/api/core');
    try {
      return await invoke<unknown>('desk', { call });
    } catch (error) {
      throw isErrorBody(error) ? new DeskError(error) : new DeskError({ code: 'ipc', message: String(error) });
    }
  }

  onChange(listener: () => void): () => void {
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    void import('@tauri-apps/api/event').then(({ listen }) =>
      listen('desk-changed', () => listener()).then((stop) => {
        if (cancelled) stop();
        else unlisten = stop;
      }),
    );
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }

  async defaultServer(): Promise<string> {
    const { invoke } = await import('@tauri-apps/api/core');
    return invoke<string>('default_server');
  }
}

/** How often the browser build asks for changes; the desktop app is told by events instead. */
const WEB_POLL_MS = 2000;

class WebBackend implements Backend {
  private readonly token: string;
  private readonly server: string;

  constructor(hash: string) {
    const params = new URLSearchParams(hash.replace(/^#/, ''));
    this.token = params.get('bridge') ?? sessionStorage.getItem('stint-bridge') ?? '';
    sessionStorage.setItem('stint-bridge', this.token);
    this.server = params.get('server') ?? 'http://127.0.0.1:7420';
  }

  async call(call: DeskCall): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch('/desk', {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(call),
      });
    } catch (error) {
      throw new DeskError({ code: 'bridge_unreachable', message: `The dev bridge is not reachable: ${error}` });
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      throw new DeskError(isErrorBody(body) ? body : { code: 'http_error', message: `HTTP ${response.status}` });
    }
    return body;
  }

  onChange(listener: () => void): () => void {
    const timer = setInterval(listener, WEB_POLL_MS);
    return () => clearInterval(timer);
  }

  async defaultServer(): Promise<string> {
    return this.server;
  }
}

export function createBackend(): Backend {
  return '__TAURI_INTERNALS__' in window ? new TauriBackend() : new WebBackend(location.hash);
}
