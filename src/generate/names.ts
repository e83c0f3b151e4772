// Word lists for synthetic names. Namespaces are named after business domains, workloads after the
// service they would run, and teams own namespaces through a `team` label.

export const DOMAINS = [
  'payments', 'checkout', 'catalog', 'search', 'orders', 'shipping', 'billing', 'identity', 'accounts', 'notifications',
  'inventory', 'pricing', 'reviews', 'recommendations', 'analytics', 'reporting', 'ledger', 'fraud', 'loyalty', 'support',
  'media', 'content', 'messaging', 'scheduling', 'booking', 'partners', 'onboarding', 'compliance', 'risk', 'insights',
  'warehouse', 'logistics', 'marketing', 'campaigns', 'subscriptions', 'invoicing', 'gateway', 'platform', 'data', 'ml',
] as const;

export const TEAMS = [
  'atlas', 'borealis', 'cobalt', 'delta', 'ember', 'falcon', 'granite', 'harbor',
  'indigo', 'juniper', 'kestrel', 'lumen', 'meridian', 'nimbus', 'orion', 'quartz',
] as const;

export const SERVICE_NOUNS = [
  'accounts', 'audit', 'auth', 'balance', 'basket', 'booking', 'cart', 'config', 'coupon', 'customer',
  'delivery', 'discount', 'document', 'email', 'export', 'feed', 'fulfilment', 'geo', 'history', 'import',
  'invoice', 'ledger', 'locale', 'media', 'notification', 'order', 'partner', 'payment', 'pdf', 'quote',
  'rating', 'receipt', 'refund', 'report', 'review', 'routing', 'rules', 'session', 'settlement', 'shipment',
  'sms', 'stock', 'subscription', 'tax', 'ticket', 'token', 'upload', 'user', 'voucher', 'wallet',
  'webhook', 'tracking', 'label', 'consent', 'preference', 'signup', 'statement', 'transfer', 'mandate', 'forecast',
] as const;

/** Suffixes of workload names by role. */
export const ROLE_SUFFIXES = {
  web: ['web', 'frontend', 'portal'],
  api: ['api', 'service', 'backend'],
  worker: ['worker', 'consumer', 'scheduler'],
} as const;
