#include "ui/bouncequestion.h"

#include <QCoreApplication>
#include <QMessageBox>
#include <QPushButton>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("BounceQuestion", s);
}
} // namespace

BounceChoice askAboutBounce(QWidget *parent, const BounceQuestion &q)
{
    QMessageBox box(parent);
    box.setObjectName(QStringLiteral("bounceQuestion"));
    box.setIcon(QMessageBox::Warning);
    box.setWindowTitle(tr("Re-invite"));
    box.setTextFormat(Qt::PlainText);
    QPushButton *change = nullptr, *skip = nullptr, *anyway = nullptr;
    if (q.single) {
        box.setText(q.text);
        box.setInformativeText(
            tr("A mistyped address bounces again. Change the address, or re-invite anyway?"));
        change = box.addButton(tr("&Change email…"), QMessageBox::AcceptRole);
        anyway = box.addButton(tr("&Re-invite anyway"), QMessageBox::DestructiveRole);
        box.setDefaultButton(change);
    } else {
        box.setText(
            q.bounced == 1
                ? tr("The last invitation bounced for 1 of the %1 selected users.").arg(q.total)
                : tr("The last invitation bounced for %1 of the %2 selected users.")
                      .arg(q.bounced)
                      .arg(q.total));
        box.setInformativeText(
            tr("Skip them (fix their addresses with Change email and re-invite), or re-invite "
               "them too?"));
        skip = box.addButton(tr("&Skip them"), QMessageBox::AcceptRole);
        anyway = box.addButton(tr("&Re-invite them too"), QMessageBox::DestructiveRole);
        box.setDefaultButton(skip);
    }
    box.addButton(QMessageBox::Cancel);
    box.exec();
    QAbstractButton *clicked = box.clickedButton();
    if (clicked && clicked == change)
        return BounceChoice::ChangeEmail;
    if (clicked && clicked == skip)
        return BounceChoice::SkipBounced;
    if (clicked && clicked == anyway)
        return BounceChoice::ReinviteAnyway;
    return BounceChoice::Cancel;
}

} // namespace roster
