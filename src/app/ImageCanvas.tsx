/** Draws an ImageRGB (float sRGB-encoded RGB) into a canvas, scaled to at most `maxSide` pixels. */
import { useEffect, useRef } from 'react';
import type { ImageRGB } from '../core/Image';
import { imageToCanvas } from './sceneUtils';

export function ImageCanvas({ image, maxSide = 160, testId, title }: { image: ImageRGB | null; maxSide?: number; testId?: string; title?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c || !image) return;
    const src = imageToCanvas(image, maxSide);
    c.width = src.width;
    c.height = src.height;
    c.getContext('2d')!.drawImage(src, 0, 0);
  }, [image, maxSide]);
  return <canvas ref={ref} data-testid={testId} title={title} />;
}
