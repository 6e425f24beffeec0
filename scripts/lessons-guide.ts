/** `npm run lessons-guide`: prints the lesson guide (`docs/lessons.md` is its output). */
import { lessonsGuide } from "./lib/lessonsGuide";

process.stdout.write(`${lessonsGuide()}\n`);
