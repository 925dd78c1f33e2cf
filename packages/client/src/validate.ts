export { zodValidation } from './zodValidation.js'
