"""The OCR engine: what its text detector is given, whatever the size of the image."""

from PIL import Image, ImageDraw

from yanpiao.intake import ocr


def test_the_detector_sees_at_most_its_side_and_the_boxes_are_in_image_pixels(monkeypatch):
    detector = ocr.engine().text_det
    shapes, infer = [], detector.infer
    monkeypatch.setattr(detector, "infer", lambda batch: shapes.append(batch.shape) or infer(batch))
    page = Image.new("RGB", (1000, 1400), "white")
    ImageDraw.Draw(page).rectangle((600, 1200, 990, 1260), fill="black")
    ImageDraw.Draw(page).text((620, 1215), "12345678", fill="white", font_size=40)
    boxes = ocr.recognise(page)
    assert shapes and max(shapes[0][2:]) <= ocr.DETECTOR_SIDE
    assert any(box.x0 >= 550 and box.y0 >= 1150 for box in boxes)
