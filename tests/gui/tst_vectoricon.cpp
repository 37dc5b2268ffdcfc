// The icons (issue 17): Roster's SVG files drawn by QtSvg, recoloured to the palette.

#include "ui/vectoricon.h"

#include <QApplication>
#include <QImage>
#include <QPalette>
#include <QPixmap>
#include <QTest>

using namespace roster;

class TestVectorIcon : public QObject
{
    Q_OBJECT

private slots:
    void everyIconDraws_data();
    void everyIconDraws();
    void currentColorFollowsThePalette();
    void ownColoursStay();

private:
    // The colour of the most opaque pixel, and how many pixels are drawn at all.
    static QColor strongest(const QImage &img, int *drawn = nullptr)
    {
        QColor best(0, 0, 0, 0);
        int n = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const QColor c = img.pixelColor(x, y);
                if (c.alpha() > 0)
                    ++n;
                if (c.alpha() > best.alpha())
                    best = c;
            }
        if (drawn)
            *drawn = n;
        return best;
    }
};

void TestVectorIcon::everyIconDraws_data()
{
    QTest::addColumn<QString>("path");
    for (const char *name : {"gear", "mail", "plus", "refresh", "search", "roster"})
        QTest::newRow(name) << QStringLiteral(":/icons/%1.svg").arg(QLatin1String(name));
}

void TestVectorIcon::everyIconDraws()
{
    QFETCH(QString, path);
    const QIcon icon = vectorIcon(path);
    QVERIFY(!icon.isNull());
    for (int size : {16, 24, 48}) {
        const QImage img = icon.pixmap(size, size).toImage();
        QCOMPARE(img.size(), QSize(size, size));
        int drawn = 0;
        strongest(img, &drawn);
        QVERIFY2(drawn > size, qPrintable(QStringLiteral("%1 at %2 px").arg(path).arg(size)));
    }
    // High-DPI: twice the pixels, not a blown-up small one.
    const QPixmap hi = icon.pixmap(QSize(24, 24), 2.0);
    QCOMPARE(hi.size(), QSize(48, 48));
    QCOMPARE(hi.deviceIndependentSize(), QSizeF(24, 24));
}

void TestVectorIcon::currentColorFollowsThePalette()
{
    const QPalette saved = QApplication::palette();
    QPalette red = saved;
    red.setColor(QPalette::Active, QPalette::WindowText, QColor(200, 0, 0));
    red.setColor(QPalette::Active, QPalette::HighlightedText, QColor(0, 0, 200));
    QApplication::setPalette(red);
    const QIcon gear = vectorIcon(QStringLiteral(":/icons/gear.svg"));
    const QColor normal = strongest(gear.pixmap(32, 32).toImage());
    QCOMPARE(normal.red(), 200);
    QCOMPARE(normal.blue(), 0);
    const QColor selected = strongest(gear.pixmap(32, QIcon::Selected).toImage());
    QCOMPARE(selected.blue(), 200);
    QCOMPARE(selected.red(), 0);
    const QColor disabled = strongest(gear.pixmap(32, QIcon::Disabled).toImage());
    QVERIFY(disabled.alpha() < 200);
    QApplication::setPalette(saved);
}

void TestVectorIcon::ownColoursStay()
{
    const QImage img = vectorIcon(QStringLiteral(":/icons/roster.svg")).pixmap(24, 24).toImage();
    QCOMPARE(img.pixelColor(4, 4), QColor(0x2f, 0x6f, 0xb3));
}

QTEST_MAIN(TestVectorIcon)
#include "tst_vectoricon.moc"
