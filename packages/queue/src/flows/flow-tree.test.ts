import type { FlowJob } from 'bullmq';
import { buildFlowTree, CHILD_FAILURE_OPTIONS } from './flow-tree';

const tenant = { empresaId: 3, filialId: null };
const data = (integracaoId: number) => ({ tenant, integracaoId, parametros: {}, trigger: 'api' });

function chain(tree: FlowJob): FlowJob[] {
  const nodes: FlowJob[] = [];
  for (let node: FlowJob | undefined = tree; node; node = node.children?.[0]) nodes.push(node);
  return nodes;
}

describe('buildFlowTree', () => {
  let counter = 0;
  const newId = () => `j${++counter}`;
  beforeEach(() => {
    counter = 0;
  });

  it('nests a GET + SET chain so the first step is the deepest leaf, each on its own queue, one prefix', () => {
    const { tree, nodes } = buildFlowTree(
      [
        { queue: 'get', integracaoId: 5, data: data(5) },
        { queue: 'set', integracaoId: 7, data: data(7) },
        { queue: 'set', integracaoId: 9, data: data(9) },
      ],
      { prefix: '{p}', jobName: 'integration.run', jobOptions: (queue) => ({ attempts: queue === 'get' ? 3 : 6 }), newId },
    );
    expect(nodes).toEqual([
      { integracaoId: 5, queue: 'get', jobId: 'j1' },
      { integracaoId: 7, queue: 'set', jobId: 'j2' },
      { integracaoId: 9, queue: 'set', jobId: 'j3' },
    ]);
    const [root, middle, leaf] = chain(tree);
    expect([root, middle, leaf].map((n) => [n?.queueName, n?.data.integracaoId, n?.opts?.jobId])).toEqual([
      ['set', 9, 'j3'],
      ['set', 7, 'j2'],
      ['get', 5, 'j1'],
    ]);
    expect(leaf?.children).toBeUndefined();
    expect(new Set(chain(tree).map((n) => n.prefix))).toEqual(new Set(['{p}']));
    expect(leaf?.opts).toMatchObject({ attempts: 3, ...CHILD_FAILURE_OPTIONS });
    expect(root?.data.flow).toEqual({
      triggeredIntegracaoId: 9,
      step: 3,
      steps: 3,
      prerequisite: { queue: 'set', jobId: 'j2', integracaoId: 7 },
    });
    expect(middle?.data.flow.prerequisite).toEqual({ queue: 'get', jobId: 'j1', integracaoId: 5 });
    expect(leaf?.data.flow).toEqual({ triggeredIntegracaoId: 9, step: 1, steps: 3 });
  });

  it('refuses a one-step flow (a lone integration is enqueued as a plain job)', () => {
    expect(() =>
      buildFlowTree([{ queue: 'set', integracaoId: 1, data: data(1) }], { prefix: '{p}', jobName: 'x', jobOptions: () => ({}) }),
    ).toThrow('at least two steps');
  });
});
