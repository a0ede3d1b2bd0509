// Shard 2 of 4 of the observed option × mode matrix (test/helpers/matrix-cells.ts).
import { observeShard } from '../helpers/matrix-cells.js';

observeShard(2, 4);
