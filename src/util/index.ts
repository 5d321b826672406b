export { sleep } from './sleep';
export { seededRandom } from './random';
