// The honoured cells of the option × mode matrix that no observation covers yet are exactly the
// ones listed in option-matrix-unobserved.txt (test/helpers/matrix-cells.ts).
import { checkUnobservedList } from '../helpers/matrix-cells.js';

checkUnobservedList();
