from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.screening_list, name="list"),
    path("new/", views.screening_start, name="start"),
    path("reviews/", views.screening_list, name="reviews"),
    path("<str:public_id>/", views.screening_detail, name="detail"),
    path("<str:public_id>/step/<int:number>/", views.screening_step, name="step"),
    path("<str:public_id>/finish/", views.screening_finish, name="finish"),
    path("<str:public_id>/register/", views.screening_register, name="register"),
    path("<str:public_id>/review/", views.screening_review, name="review"),
]
