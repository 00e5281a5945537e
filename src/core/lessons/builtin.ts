// The lessons the lab ships, as data (builtin/*.json, the files an educator can copy as a start), validated like any
// lesson opened from a file or a link. tests/unit/lessons_builtin.test.ts runs every step's run and checks its check.
import { parseLesson, type Lesson } from './lesson';
import theLoop from './builtin/01-the-loop.json';
import labelers from './builtin/02-labelers.json';
import klLeash from './builtin/03-kl-leash.json';
import overoptimization from './builtin/04-overoptimization.json';
import ensembles from './builtin/05-ensembles.json';
import dpo from './builtin/06-dpo.json';
import iterated from './builtin/07-iterated.json';
import disclosure from './builtin/08-disclosure.json';

export const BUILTIN_LESSONS: Lesson[] = [theLoop, labelers, klLeash, overoptimization, ensembles, dpo, iterated, disclosure].map((l) => parseLesson(l));
