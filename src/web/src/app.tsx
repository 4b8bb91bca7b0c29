import { AlertQueue } from './pages/AlertQueue.js';
import { CaseList } from './pages/CaseList.js';
import { CasePage } from './pages/CasePage.js';
import { IngestHealth } from './pages/IngestHealth.js';
import { IntelPage } from './pages/IntelPage.js';
import { RulesPage } from './pages/RulesPage.js';
import { SignIn } from './pages/SignIn.js';
import { VaultPage } from './pages/VaultPage.js';
import { Link } from './components/Link.js';
import { useLocation, type Route } from './router.js';
import { SessionProvider, useSession } from './session.js';

const NAV: ReadonlyArray<{ href: string; label: string; pages: ReadonlyArray<Route['page']> }> = [
  { href: '/', label: 'Alerts 告警', pages: ['alerts'] },
  { href: '/cases', label: 'Cases 案件', pages: ['cases', 'case'] },
  { href: '/rules', label: 'Rules 規則', pages: ['rules'] },
  { href: '/ingest', label: 'Ingest 收集', pages: ['ingest'] },
  { href: '/intel', label: 'Intel 情資', pages: ['intel'] },
  { href: '/vault', label: 'Vault 資料保全', pages: ['vault'] },
];

function Shell() {
  const { session, signOut } = useSession();
  const { route } = useLocation();
  if (!session) return <SignIn />;
  return (
    <>
      <header className="top">
        <span className="brand">Lianfang 聯防</span>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.href} href={n.href} aria-current={n.pages.includes(route.page) ? 'page' : undefined}>{n.label}</Link>
          ))}
        </nav>
        <span className="who" aria-label="Signed in as">
          <span className="actor">{session.me.actor}</span> <span className="role">{session.me.roles.join(', ')}</span>{' '}
          <span className="muted">{session.me.tenant}</span>
        </span>
        <button type="button" className="small" onClick={() => signOut()}>Sign out</button>
      </header>
      <Page route={route} />
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'alerts':
      return <AlertQueue />;
    case 'cases':
      return <CaseList />;
    case 'case':
      return <CasePage key={route.ref} caseRef={route.ref} />;
    case 'rules':
      return <RulesPage {...(route.ruleId !== undefined ? { ruleId: route.ruleId } : {})} />;
    case 'ingest':
      return <IngestHealth />;
    case 'vault':
      return <VaultPage />;
    case 'intel':
      return <IntelPage tab={route.tab} />;
    case 'not_found':
      return (
        <main className="page">
          <h1>Not found</h1>
          <p>Nothing lives at <code>{route.path}</code>. <Link href="/">Go to the alert queue</Link>.</p>
        </main>
      );
  }
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}
