// The UI's one way to reach the Rust core (`Desk`). Two implementations of one interface: Tauri
// IPC inside the desktop app, and HTTP to the loopback dev bridge in a browser (Playwright,
// `npm run dev`). Components never know which one they talk to.

import type { DeskCall } from './generated/DeskCall';
import type { ErrorBody } from './generated/ErrorBody';

/** An error from Desk. Branch on `code`, never on `message`. */
export class DeskError extends Error {
  readonly code: string;

  constructor(body: ErrorBody) {
    super(body.message);
    this.code = body.code;
  }
}

export interface Backend {
  call<T>(call: DeskCall): Promise<T>;
  /** Calls `listener` when something may have changed (tray action, sync); returns an unsubscribe. */
  onChange(listener: () => void): () => void;
  /** The server URL to offer on the sign-in form. */
  defaultServer(): Promise<string>;
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value;
}

class TauriBackend implements Backend {
  async call<T>(call: DeskCall): Promise<T> {
    const { invoke } = await import('@tauri-apps/api/core');
    try {
      return await invoke<T>('desk', { call });
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

  async call<T>(call: DeskCall): Promise<T> {
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
    return body as T;
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
