// The props every labeling view takes (views.ts hands them over); a view adds its own.
import type { PendingPair } from '../../core/runner';
import type { Answer } from '../../core/feedback/labelers';

export interface LabelerCommon {
  pair: PendingPair | null;
  /** This round's labels and skips, counted by labelCounts (core/feedback/labelers.ts) as everywhere. */
  labeled: number;
  skipped: number;
  wanted: number;
  /** The answer, with the margin of the person's strength of preference where they gave one. */
  onAnswer: (a: Answer, margin?: number) => void;
  onFinish: () => void;
}

/** A text view's props: the common ones and one line on what the lab's gold reward prefers, to guide a first-time labeler. */
export interface TextLabelerProps extends LabelerCommon {
  goal: string;
}
