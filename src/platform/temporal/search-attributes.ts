/**
 * The namespace's custom search attributes: namespace setup (setup.ts) makes sure they exist, the
 * order workflow sets them. Pure keys, safe in the workflow bundle.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes that make orders findable in the Temporal Web UI. They are stored in plain
 * text (visibility and the history; the payload codec does not cover them), so they hold no
 * personal data: the customer's e-mail, name and address stay in the encrypted payloads.
 * `ExternalRef` is the shop's or partner's own order reference, what a customer quotes.
 */
export const SEARCH_ATTRIBUTES = {
  OrderStatus: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD),
  Channel: defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD),
  OrderPriority: defineSearchAttributeKey('OrderPriority', SearchAttributeType.INT),
  PartnerId: defineSearchAttributeKey('PartnerId', SearchAttributeType.KEYWORD),
  ExternalRef: defineSearchAttributeKey('ExternalRef', SearchAttributeType.KEYWORD),
} as const;
