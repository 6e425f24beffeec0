/** `npm run lessons-guide`: prints the lesson guide (`docs/lessons.md` is its output). */
import { lessonsGuide } from "../src/lessons/guide";

process.stdout.write(`${lessonsGuide()}\n`);
