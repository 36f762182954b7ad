/** Studio entry point: mounts <App/> into #root. */

import { createRoot } from 'react-dom/client';
import { App } from './App';
import './studio.css';

createRoot(document.getElementById('root')!).render(
  <>
    <App />
  </>,
);
