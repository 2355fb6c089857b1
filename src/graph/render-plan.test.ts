import { describe, expect, it } from 'vitest';
import { moduleDef } from '../../test/module-fixtures.js';
import { buildGraph } from './build-graph.js';
import { renderPlanText } from './render-plan.js';

describe('renderPlanText', () => {
  it('uses the singular for one module, one config node and one build node', () => {
    const graph = buildGraph({ modules: [moduleDef('solo', [], false)] });
    expect(renderPlanText(graph).split('\n')[0]).toBe('1 module, 1 config node, 1 build node');
  });
});
