from django.urls import path

from touchstone.billing import views

app_name = "billing"
urlpatterns = [
    path("clients/<int:client_id>/billing/", views.client_account, name="client"),
    path("clients/<int:client_id>/billing/assess/", views.assess, name="assess"),
    path("clients/<int:client_id>/billing/packages/", views.sell_package, name="sell"),
    path("clients/<int:client_id>/billing/payments/", views.pay, name="pay"),
    path("clients/<int:client_id>/billing/charge/", views.charge, name="charge"),
    path("clients/<int:client_id>/billing/slots/", views.book_slot, name="book_slot"),
    path("clients/<int:client_id>/billing/invoices/", views.invoices, name="invoices"),
    path("clients/<int:client_id>/billing/invoices/new/", views.issue_invoice, name="issue"),
    path("clients/<int:client_id>/billing/statement/", views.statement, name="statement"),
    path("billing/invoices/<int:invoice_id>/", views.invoice, name="invoice"),
    path("billing/entries/<int:entry_id>/refund/", views.refund, name="refund"),
    path("billing/entries/<int:entry_id>/reverse/", views.reverse, name="reverse"),
    path("billing/fees/", views.fees, name="fees"),
    path("billing/mine/", views.my_charges, name="mine"),
    path("billing/access/", views.access, name="access"),
]
