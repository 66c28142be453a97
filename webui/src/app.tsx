/**
 * The app shell: who is looking (first run, login, logged in, box not answering), the navigation
 * between pages (hash routes, so the server only ever serves index.html at /), and the states in
 * which the router is away (restarting, stopped).
 */
import type { ComponentType } from 'preact';
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { call, describeError, get, onSessionEnded, setCsrfToken } from './api.js';
import { Notice } from './components/ui.js';
import { Login } from './pages/login.js';
import { Dashboard } from './pages/dashboard.js';
import { Peers } from './pages/peers.js';
import { Tunnels } from './pages/tunnels.js';
import { NetDb } from './pages/netdb.js';
import { Services } from './pages/services.js';
import { AddressBook } from './pages/addressbook.js';
import { SettingsPage } from './pages/settings.js';
import { Logs } from './pages/logs.js';
import { Diagnostics } from './pages/diagnostics.js';
import { Backup } from './pages/backup.js';
import { SystemPage } from './pages/system.js';
import type { Status } from './types.js';

interface PageDef {
  path: string;
  title: string;
  component: ComponentType;
}

export const PAGES: PageDef[] = [
  { path: '/', title: 'Dashboard', component: Dashboard },
  { path: '/peers', title: 'Peers', component: Peers },
  { path: '/tunnels', title: 'Tunnels', component: Tunnels },
  { path: '/netdb', title: 'netDb', component: NetDb },
  { path: '/services', title: 'Hidden services', component: Services },
  { path: '/addressbook', title: 'Address book', component: AddressBook },
  { path: '/settings', title: 'Settings', component: SettingsPage },
  { path: '/logs', title: 'Logs', component: Logs },
  { path: '/diagnostics', title: 'Diagnostics', component: Diagnostics },
  { path: '/backup', title: 'Backup', component: Backup },
  { path: '/system', title: 'System', component: SystemPage },
];

type Screen =
  | { kind: 'loading' }
  | { kind: 'first-run' }
  | { kind: 'login'; message?: string }
  | { kind: 'in' }
  | { kind: 'unreachable'; error: unknown }
  | { kind: 'away'; message: string };

export interface AppControl {
  /** The router is going away (restart, shutdown, factory reset): wait until it answers again. */
  away(message: string): void;
}

const AppContext = createContext<AppControl>({ away: () => undefined });
export const useApp = (): AppControl => useContext(AppContext);

function currentPath(): string {
  const h = location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : '/';
}

export function App() {
  const [screen, setScreen] = useState<Screen>({ kind: 'loading' });

  const check = useCallback(async (message?: string) => {
    try {
      const s = await get<Status>('/status');
      setScreen(s.authenticated ? { kind: 'in' } : s.firstRun ? { kind: 'first-run' } : { kind: 'login', message });
    } catch (error) {
      setScreen({ kind: 'unreachable', error });
    }
  }, []);

  useEffect(() => {
    void check();
    return onSessionEnded(() => void check('Your session has ended: please log in again.'));
  }, [check]);

  // While the router is away (or not answering), ask every 3 s whether it is back.
  useEffect(() => {
    if (screen.kind !== 'away' && screen.kind !== 'unreachable') return;
    const t = setInterval(async () => {
      try {
        await get<Status>('/status');
        setCsrfToken(undefined);
        void check();
      } catch {
        // not yet
      }
    }, 3000);
    return () => clearInterval(t);
  }, [screen.kind, check]);

  const control: AppControl = { away: (message) => setScreen({ kind: 'away', message }) };

  let body;
  switch (screen.kind) {
    case 'loading':
      body = <p class="centered">Loading…</p>;
      break;
    case 'first-run':
    case 'login':
      body = <Login firstRun={screen.kind === 'first-run'} message={screen.kind === 'login' ? screen.message : undefined} onDone={() => void check()} onFirstRunDone={() => void check()} />;
      break;
    case 'unreachable':
      body = (
        <main class="centered" id="main">
          <h1>GarlicGate</h1>
          <Notice kind="error">{describeError(screen.error)}</Notice>
          <p>This page tries again every few seconds.</p>
        </main>
      );
      break;
    case 'away':
      body = (
        <main class="centered" id="main">
          <h1>GarlicGate</h1>
          <Notice kind="info">{screen.message}</Notice>
          <p>This page checks every few seconds whether the box answers again.</p>
        </main>
      );
      break;
    case 'in':
      body = <Shell onLogout={() => void check()} />;
      break;
  }
  return <AppContext.Provider value={control}>{body}</AppContext.Provider>;
}

function Shell({ onLogout }: { onLogout: () => void }) {
  const [path, setPath] = useState(currentPath);
  const [menuOpen, setMenuOpen] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0]!;

  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);

  useEffect(() => {
    document.title = `${page.title} — GarlicGate`;
    setMenuOpen(false);
    // Moving to another page moves the focus to its heading (screen readers announce it).
    if (!first.current) heading.current?.focus();
    first.current = false;
  }, [page]);

  const logout = async () => {
    try {
      await call('POST', '/auth/logout');
    } catch {
      // the session may be gone already
    }
    setCsrfToken(undefined);
    onLogout();
  };

  const Page = page.component;
  return (
    <div class="shell">
      <header class="top">
        <button type="button" class="skip" onClick={() => heading.current?.focus()}>
          Skip to content
        </button>
        <span class="brand">GarlicGate</span>
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="nav" aria-label="Pages" class={menuOpen ? 'open' : ''}>
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={`#${p.path}`} aria-current={p.path === page.path ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="logout" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {page.title}
        </h1>
        <Page key={page.path} />
      </main>
    </div>
  );
}
