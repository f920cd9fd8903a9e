"""The OCR engine: what its text detector is given, whatever the size of the picture."""

from PIL import Image, ImageDraw

from yanpiao.intake import ocr


def detector_inputs(monkeypatch) -> list[tuple]:
    detector = ocr.engine().text_det
    shapes, infer = [], detector.infer
    monkeypatch.setattr(detector, "infer", lambda batch: shapes.append(batch.shape) or infer(batch))
    return shapes


def test_a_big_picture_is_detected_within_the_pixel_budget_and_boxes_are_in_its_pixels(monkeypatch):
    shapes = detector_inputs(monkeypatch)
    page = Image.new("RGB", (1000, 1400), "white")
    ImageDraw.Draw(page).rectangle((600, 1200, 990, 1260), fill="black")
    ImageDraw.Draw(page).text((620, 1215), "12345678", fill="white", font_size=40)
    boxes = ocr.recognise(page)
    [(_, _, height, width)] = shapes
    assert height * width <= ocr.DETECTOR_PIXELS
    assert any(box.x0 >= 550 and box.y0 >= 1150 and "12345678" in box.text for box in boxes)


def test_small_print_on_a_small_picture_is_enlarged_and_read(monkeypatch):
    shapes = detector_inputs(monkeypatch)
    picture = Image.new("RGB", (420, 90), "white")
    ImageDraw.Draw(picture).text((12, 35), "INVOICE 26112000000000000001", fill="black")
    assert "26112000000000000001" in "".join(box.text for box in ocr.recognise(picture))
    [(_, _, height, width)] = shapes
    assert height > 90 and height * width <= ocr.ENLARGED_PIXELS
