import { createRoot } from 'react-dom/client';

function App() {
  return <h1>Lianfang 聯防</h1>;
}

createRoot(document.getElementById('root')!).render(<App />);
