import type { GatewayCapture, RuleOutput, SagaRow } from './saga-rules';
import { emptyCheck, ProblemList } from './types';

/**
 * The gateway's side of the money, when verify can ask it: the capture made with each order's key is either
 * the completed saga's capture, or refunded in full. A capture the saga never learned of (an answer lost, then
 * a timer that did not find it) shows here and nowhere else.
 */

export const GATEWAY_CHECK = 'gateway captures';

export function checkGatewayCaptures(
  sagas: readonly SagaRow[],
  captures: ReadonlyMap<string, GatewayCapture | undefined>,
): RuleOutput {
  const result = { ...emptyCheck(GATEWAY_CHECK) };
  const list = new ProblemList();
  const note = (kind: 'missing' | 'mismatched', id: string, detail: string) => {
    result[kind] += 1;
    list.note(GATEWAY_CHECK, kind, id, detail);
  };
  for (const saga of sagas) {
    if (!captures.has(saga.orderId)) continue;
    result.checked += 1;
    const capture = captures.get(saga.orderId);
    const charged = capture?.status === 'captured' ? capture.amount - capture.refundedAmount : 0;
    if (saga.state === 'completed') {
      if (capture?.status !== 'captured') {
        note('missing', saga.orderId, `completed order ${saga.orderId} has no capture at the gateway`);
      } else if (capture.id !== saga.captureId || charged !== capture.amount) {
        note(
          'mismatched',
          saga.orderId,
          `completed order ${saga.orderId}: the gateway's capture ${capture.id} (${charged} of ${capture.amount} kept) is not the saga's ${saga.captureId ?? '(none)'}`,
        );
      }
    } else if (charged > 0) {
      note(
        'mismatched',
        saga.orderId,
        `order ${saga.orderId} (saga ${saga.state}) is charged ${charged} at the gateway and not refunded`,
      );
    }
  }
  return { result, problems: list.problems };
}
