/**
 * opencv.js (CommonJS, an emscripten module that is a "thenable") re-exported as a plain ES module
 * default. vite.config.ts points the studio's `import('@techstark/opencv-js')` (src/poses/opencv.ts)
 * here: Vite's dev server turns a dynamic import of a CommonJS dependency into an object spread
 * of its exports, which copies the module's `then`, and awaiting that object then re-adopts the
 * module forever (the page hangs in a microtask loop). A static default import has no such spread,
 * and the namespace of this module has no `then`. Production builds behave the same either way.
 */
import cv from '@techstark/opencv-js';

export default cv;
