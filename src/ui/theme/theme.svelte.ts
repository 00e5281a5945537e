// Light or dark: the system's choice (prefers-color-scheme) until the user picks one with the toggle; the pick is kept
// in localStorage and set as <html data-theme>, which app.css reads. Charts read `theme.mode` to redraw in its colors.
import type { Mode } from '../charts/ink';

/** The localStorage key of the user's pick (a change of name forgets everyone's pick). */
export const THEME_KEY = 'rlhf-lab.theme';

class Theme {
  /** The user's pick, or null to follow the system. */
  choice = $state<Mode | null>(null);
  system = $state<Mode>('dark');
  readonly mode: Mode = $derived(this.choice ?? this.system);

  constructor() {
    if (typeof window === 'undefined') return;
    const q = window.matchMedia('(prefers-color-scheme: light)');
    this.system = q.matches ? 'light' : 'dark';
    q.addEventListener('change', (e) => (this.system = e.matches ? 'light' : 'dark'));
    let stored: string | null = null;
    try {
      stored = localStorage.getItem(THEME_KEY);
    } catch {
      // storage blocked (a sandboxed frame): follow the system
    }
    this.choice = stored === 'light' || stored === 'dark' ? stored : null;
    this.apply();
  }

  /** Switches to the other theme and keeps the pick. */
  toggle = (): void => {
    this.choice = this.mode === 'light' ? 'dark' : 'light';
    try {
      localStorage.setItem(THEME_KEY, this.choice);
    } catch {
      // not kept; still switched for this page
    }
    this.apply();
  };

  private apply(): void {
    if (this.choice) document.documentElement.dataset.theme = this.choice;
    else delete document.documentElement.dataset.theme;
  }
}

export const theme = new Theme();
