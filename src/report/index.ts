// Every report format, rendered from one run document (document.ts): the CLI prints a run with
// them, `kreview report` converts a saved one, the Action and the nightly job post them.

import type { EmailSettings } from '../config/index.js';
import type { RunDocument } from './document.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export const FORMATS = ['text', 'json', 'sarif', 'markdown', 'email', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  email: EmailSettings;
}

/** One file of output: stdout (or -o) for every format but email, which writes one per patch. */
export interface Rendered {
  name: string;
  content: string;
}

export async function render(doc: RunDocument, format: Format, opts: RenderOptions): Promise<Rendered[]> {
  switch (format) {
    case 'text':
      return [{ name: 'kreview.txt', content: renderText(doc) }];
    case 'json':
      return [{ name: 'kreview.json', content: JSON.stringify(doc, null, 1) + '\n' }];
    case 'sarif':
      return [{ name: 'kreview.sarif', content: JSON.stringify(renderSarif(doc), null, 1) + '\n' }];
    case 'markdown':
      return [{ name: 'kreview.md', content: renderMarkdown(doc) }];
    case 'html':
      // Loaded when asked for: mail composition and the HTML page are most of the report code.
      return [{ name: 'kreview.html', content: (await import('./html.js')).renderHtml(doc) }];
    case 'email':
      return (await import('./email.js')).renderEmails(doc, opts.email);
  }
}
