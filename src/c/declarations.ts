// Declarators: the name a declarator declares and what it adds to the base type
// (`*md` -> md, ' *'; `bat[4]` -> bat, ' []'; `(*fn)(int)` -> fn, ' (*)(int)').

import { collapse } from './objects.js';
import { field, type SNode } from './syntax.js';

export function declaredNames(d: SNode, src: string): { name: string; suffix: string } {
  let stars = '';
  let arrays = '';
  let fnSuffix = '';
  let cur: SNode | undefined = d;
  for (let guard = 0; cur && guard < 32; guard++) {
    switch (cur.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
        return { name: src.slice(cur.start, cur.end), suffix: fnSuffix ? ` (${stars})${fnSuffix}` : `${stars ? ` ${stars}` : ''}${arrays}` };
      case 'pointer_declarator':
        stars += '*';
        cur = field(cur, 'declarator');
        break;
      case 'array_declarator':
        arrays += '[]';
        cur = field(cur, 'declarator');
        break;
      case 'function_declarator': {
        const params = field(cur, 'parameters');
        fnSuffix = params ? collapse(src.slice(params.start, params.end)) : '()';
        cur = field(cur, 'declarator');
        break;
      }
      case 'parenthesized_declarator':
        cur = cur.children.find((c) => c.named);
        break;
      case 'init_declarator':
        cur = field(cur, 'declarator');
        break;
      case 'attributed_declarator':
        cur = cur.children.find((c) => c.named && c.type !== 'attribute_declaration');
        break;
      default:
        // Recovery: the first identifier inside.
        cur = cur.children.find((c) => c.named && c.type !== 'ERROR') ?? undefined;
    }
  }
  return { name: '', suffix: '' };
}
