/** One transition, as told in the request's thread. */
export type RequestEvent =
  | { kind: 'created' }
  | { kind: 'approved'; by: string }
  | { kind: 'quorum'; by: string }
  /** The quorum of a scheduled change: approved, waiting for its time. */
  | { kind: 'scheduled'; by: string }
  | { kind: 'rejected'; by: string; reason?: string | undefined }
  | { kind: 'cancelled'; by: string }
  | { kind: 'expired' }
  | { kind: 'stopped'; by: string }
  | { kind: 'succeeded' }
  | { kind: 'failed' };

/** A thread-note event by kind and actor id only, as a `notify` job carries it (jobs hold ids, never text). */
export type NotifyEvent = { kind: string; by?: string | undefined };

/** What a job can carry of an event; `render` is a re-render with no thread note. */
export function toNotifyEvent(event: RequestEvent | undefined): NotifyEvent {
  if (!event) return { kind: 'render' };
  return 'by' in event ? { kind: event.kind, by: event.by } : { kind: event.kind };
}
